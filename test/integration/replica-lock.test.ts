import { writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/connect.js";
import { spawnCore } from "../helpers/core-process.js";
import { createTestDatabaseUrl, freePort, type TestDatabase } from "../helpers/databases.js";

describe("one core per SQLite file", () => {
  let database: TestDatabase;

  beforeEach(async () => {
    database = await createTestDatabaseUrl("sqlite");
  });

  afterEach(async () => {
    await database.drop();
  });

  it("refuses a second replica on the same file, and allows tools", async () => {
    const first = await openStore(database.url, { replica: true });
    await expect(openStore(database.url, { replica: true })).rejects.toThrow(
      /another training core \(in this process\) already uses .*test\.db: SQLite serves one core only/,
    );
    const tool = await openStore(database.url); // e.g. `training-core token create`
    await tool.close();
    await first.close();
    const again = await openStore(database.url, { replica: true });
    await again.close();
  });

  it("takes over the lock of a core that is gone", async () => {
    const path = database.url.slice("sqlite:".length);
    writeFileSync(`${path}.lock`, "2147483646"); // no such process
    const store = await openStore(database.url, { replica: true });
    await store.close();
  });

  it("stops a second core process with a clear message", { timeout: 60_000 }, async () => {
    const first = await spawnCore(database.url, await freePort());
    try {
      const second = spawnCore(database.url, await freePort());
      await expect(second).rejects.toThrow(
        /core exited \(1\)[\s\S]*another training core \(pid \d+\)/,
      );
    } finally {
      first.child.kill("SIGTERM");
      await first.exited;
    }
  });
});
