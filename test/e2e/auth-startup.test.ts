// The default posture, with the core as a process: without any token it serves on loopback in
// development mode (with a warning), refuses a public address (exit 2) unless CORE_INSECURE=1,
// and with a token it serves anywhere and enforces tokens.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createToken } from "../../src/app/auth/token-admin.js";
import { openStore } from "../../src/store/connect.js";
import { type CoreProcess, spawnCore } from "../helpers/core-process.js";
import { createTestDatabaseUrl, freePort, type TestDatabase } from "../helpers/databases.js";

describe("start-up posture [sqlite]", () => {
  let database: TestDatabase;
  let core: CoreProcess | undefined;

  beforeEach(async () => {
    database = await createTestDatabaseUrl("sqlite");
  });

  afterEach(async () => {
    if (core && core.child.exitCode === null && core.child.signalCode === null) {
      core.child.kill("SIGTERM");
      await core.exited;
    }
    core = undefined;
    await database.drop();
  });

  const logged = (message: RegExp) => core?.logLines.some((line) => message.test(line)) ?? false;

  it("serves in development mode on loopback, with a warning", async () => {
    core = await spawnCore(database.url, await freePort());
    expect(logged(/"level":40.*development mode: no access token exists/)).toBe(true);
    expect(logged(/"authentication":"development".*"training core serving"/)).toBe(true);
  });

  it("refuses a non-loopback address without tokens: exit code 2 and what to do", async () => {
    const port = await freePort();
    const failed = spawnCore(database.url, port, { CORE_ADDRESS: `0.0.0.0:${port}` });
    await expect(failed).rejects.toThrow(
      /core exited \(2\)[\s\S]*CORE_ADDRESS=0\.0\.0\.0:\d+ is not a loopback address[\s\S]*training-core token create[\s\S]*CORE_INSECURE=1/,
    );
  });

  it("serves a non-loopback address without tokens when CORE_INSECURE=1", async () => {
    const port = await freePort();
    core = await spawnCore(database.url, port, {
      CORE_ADDRESS: `0.0.0.0:${port}`,
      CORE_INSECURE: "1",
    });
    expect(logged(/"level":40.*INSECURE: no access token exists and CORE_INSECURE=1/)).toBe(true);
  });

  it("serves a non-loopback address once a token exists, and enforces tokens", async () => {
    const store = await openStore(database.url);
    await createToken(store.db, { kind: "consumer" }, Date.now()).finally(() => store.close());
    const port = await freePort();
    core = await spawnCore(database.url, port, { CORE_ADDRESS: `0.0.0.0:${port}` });
    expect(logged(/"authentication":"tokens".*"training core serving"/)).toBe(true);
    expect(logged(/development mode|INSECURE/)).toBe(false);
  });
});
