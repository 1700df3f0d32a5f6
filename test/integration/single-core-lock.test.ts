import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/connect.js";
import { spawnCore } from "../helpers/core-process.js";
import { createTestDatabaseUrl, freePort, type TestDatabase } from "../helpers/databases.js";

/** A second core is refused with this message, naming who holds the file. */
const inUse = (owner: string) =>
  new RegExp(
    `another training core \\(${owner}\\) already uses .*test\\.db: SQLite serves one core only`,
  );

describe("one core per SQLite file", { timeout: 60_000 }, () => {
  let database: TestDatabase;
  let lockPath: string;

  beforeEach(async () => {
    database = await createTestDatabaseUrl("sqlite");
    lockPath = `${database.url.slice("sqlite:".length)}.lock`;
  });

  afterEach(async () => {
    await database.drop();
  });

  it("refuses a second core in this process and in another one, and allows tools", async () => {
    const first = await openStore(database.url, { replica: true });
    try {
      await expect(openStore(database.url, { replica: true })).rejects.toThrow(
        inUse("in this process"),
      );
      // The refused connection closed its own descriptor: the first one's lock must hold still.
      await expect(spawnCore(database.url, await freePort())).rejects.toThrow(
        new RegExp(`core exited \\(1\\)[\\s\\S]*${inUse(`pid ${process.pid}`).source}`),
      );
      const tool = await openStore(database.url); // e.g. `training-core token create`
      await tool.close();
    } finally {
      await first.close();
    }
    const again = await openStore(database.url, { replica: true });
    await again.close();
  });

  it("is free again once a core holding it is killed with SIGKILL", async () => {
    const core = await spawnCore(database.url, await freePort());
    try {
      await expect(openStore(database.url, { replica: true })).rejects.toThrow(
        inUse(`pid ${core.child.pid}`),
      );
    } finally {
      core.child.kill("SIGKILL");
      expect(await core.exited).toBe("SIGKILL");
    }
    const store = await openStore(database.url, { replica: true });
    await store.close();
  });

  it("is free again after a clean shutdown", async () => {
    const core = await spawnCore(database.url, await freePort());
    core.child.kill("SIGTERM");
    expect(await core.exited).toBe(0);
    const store = await openStore(database.url, { replica: true });
    await store.close();
  });

  it("ignores an old lock file holding the pid of a live, unrelated process", async () => {
    const unrelated: ChildProcess = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      await once(unrelated, "spawn");
      // What an older core left after a kill -9, its pid since reused by `sleep`.
      writeFileSync(lockPath, String(unrelated.pid));
      const store = await openStore(database.url, { replica: true });
      try {
        expect(readFileSync(lockPath).subarray(0, 16).toString("latin1")).toBe("SQLite format 3\0");
        await expect(openStore(database.url, { replica: true })).rejects.toThrow(
          inUse("in this process"),
        );
      } finally {
        await store.close();
      }
    } finally {
      unrelated.kill("SIGKILL");
      await once(unrelated, "exit");
    }
  });
});
