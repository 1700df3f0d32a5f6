import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { startNextActivityPlugin } from "../../examples/plugins/next-activity/plugin.js";
import { createToken } from "../../src/app/auth/token-admin.js";
import { openStore } from "../../src/store/connect.js";
import { runCli } from "../helpers/cli.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { tinyCsv } from "../helpers/projects.js";

describeEachDialect("clients with tokens", (dialect) => {
  const env = freshCorePerTest(dialect, { deferStart: true });
  let workDir: string;
  let tokens: { plugin: string; consumer: string };

  beforeEach(async () => {
    const store = await openStore(env.database.url);
    const now = Date.now();
    tokens = {
      plugin: (
        await createToken(store.db, { kind: "plugin", pluginKey: "plugin-next-activity" }, now)
      ).token,
      consumer: (await createToken(store.db, { kind: "consumer" }, now)).token,
    };
    await store.close();
    await env.start();
    workDir = await mkdtemp(join(tmpdir(), "auth-clients-"));
  });

  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it("trains with the SDK's plugin token and the CLI's consumer token", {
    timeout: 60_000,
  }, async () => {
    const stop = new AbortController();
    const plugin = startNextActivityPlugin({
      address: env.core.address,
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
      const refused = await runCli(["plugins"], { address: env.core.address });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("UNAUTHENTICATED");
      const result = await runCli(args, {
        address: env.core.address,
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
