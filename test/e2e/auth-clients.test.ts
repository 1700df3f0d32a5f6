import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { startNextActivityPlugin } from "../../examples/plugins/next-activity/plugin.js";
import { createToken } from "../../src/app/auth/token-admin.js";
import { openStore } from "../../src/store/connect.js";
import { runCli } from "../helpers/cli.js";
import { startTestCore, type TestCore } from "../helpers/core.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  type TestDatabase,
} from "../helpers/databases.js";
import { tinyCsv } from "../helpers/projects.js";

describeEachDialect("clients with tokens", (dialect) => {
  let database: TestDatabase;
  let core: TestCore;
  let workDir: string;
  let tokens: { plugin: string; consumer: string };

  beforeEach(async () => {
    database = await createTestDatabaseUrl(dialect);
    const store = await openStore(database.url);
    const now = Date.now();
    tokens = {
      plugin: (
        await createToken(store.db, { kind: "plugin", pluginKey: "plugin-next-activity" }, now)
      ).token,
      consumer: (await createToken(store.db, { kind: "consumer" }, now)).token,
    };
    await store.close();
    core = await startTestCore(database.url);
    workDir = await mkdtemp(join(tmpdir(), "auth-clients-"));
  });

  afterEach(async () => {
    await core.stop();
    await database.drop();
    await rm(workDir, { recursive: true, force: true });
  });

  it("trains with the SDK's plugin token and the CLI's consumer token", {
    timeout: 60_000,
  }, async () => {
    const stop = new AbortController();
    const plugin = startNextActivityPlugin({
      address: core.address,
      modelDir: workDir,
      signal: stop.signal,
      token: tokens.plugin,
    });
    try {
      const csv = join(workDir, "log.csv");
      await writeFile(csv, tinyCsv);
      const args = [
        "project",
        "create",
        "--dataset",
        csv,
        "--plugin",
        "plugin-next-activity",
        "--wait",
      ];
      const refused = await runCli(["plugins"], { address: core.address });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("UNAUTHENTICATED");
      const result = await runCli(args, {
        address: core.address,
        env: { CORE_TOKEN: tokens.consumer },
      });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(
        /is TRAINED; models: plugin-next-activity: next-activity-\d+-\d+\.json/,
      );
    } finally {
      stop.abort();
      await plugin;
    }
  });
});
