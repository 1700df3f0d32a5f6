// `training-core token create|list|revoke` as a child process against the test database
// (CORE_DATABASE_URL), and a token it printed accepted by a core on that database.
import { status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { failureOf, listPlugins } from "../helpers/projects.js";

describeEachDialect("training-core token", (dialect) => {
  const env = freshCorePerTest(dialect, { deferStart: true });

  const token = (...args: string[]) =>
    runCli(["token", ...args], { env: { CORE_DATABASE_URL: env.database.url } });

  it("creates, lists and revokes tokens; the plain token is printed once", async () => {
    const consumer = await token("create", "--consumer", "--label", "ci", "--json");
    expect(consumer.code).toBe(0);
    const created = JSON.parse(consumer.stdout) as { id: number; token: string };
    expect(created).toEqual({ id: 1, token: expect.stringMatching(/^tcc_[A-Za-z0-9_-]{43}$/) });

    const plugin = await token("create", "--plugin", "plugin-knn.v2");
    expect(plugin.code).toBe(0);
    expect(plugin.stdout).toMatch(
      /^created plugin token 2 for plugin key "plugin-knn\.v2"; it is shown only this once:\ntcp_[A-Za-z0-9_-]{43}\n$/,
    );

    const listed = await token("list", "--json");
    const { tokens } = JSON.parse(listed.stdout) as { tokens: Record<string, unknown>[] };
    expect(tokens).toEqual([
      {
        id: 1,
        kind: "consumer",
        pluginKey: "",
        label: "ci",
        createdAt: expect.any(String),
        revokedAt: null,
      },
      {
        id: 2,
        kind: "plugin",
        pluginKey: "plugin-knn.v2",
        label: "",
        createdAt: expect.any(String),
        revokedAt: null,
      },
    ]);
    expect(listed.stdout).not.toMatch(/tc[cp]_|[0-9a-f]{64}/); // neither secrets nor hashes

    const revoked = await token("revoke", "2");
    expect(revoked).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^revoked plugin token 2/),
    });
    expect((await token("revoke", "2")).stdout).toMatch(/was already revoked at/);
    const table = await token("list");
    expect(table.stdout).toMatch(/^ID\s+KIND\s+PLUGIN KEY\s+LABEL\s+CREATED\s+REVOKED\n/);
    expect(table.stdout).toMatch(/\n2\s+plugin\s+plugin-knn\.v2\s+\S+Z\s+\S+Z\n/);

    // A core on the same database accepts the consumer token printed above.
    const core = await env.start({ token: created.token });
    expect((await listPlugins(core.projects)).plugins).toEqual([]);
  });

  it("explains usage errors (exit 2) and unknown tokens (exit 1)", async () => {
    expect(await token("create")).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--plugin KEY or --consumer"),
    });
    expect(await token("create", "--plugin", "no spaces")).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("[A-Za-z0-9._:-]"),
    });
    expect((await token("create", "--plugin", "a", "--consumer")).code).toBe(2);
    expect((await token("revoke", "zero")).code).toBe(2);
    expect(await token("revoke", "9")).toMatchObject({
      code: 1,
      stderr: "error: NOT_FOUND: token 9 does not exist (see `training-core token list`)\n",
    });
    expect((await token("list")).stdout).toMatch(
      /^no token exists: the core runs in development mode/,
    );
    // Still no token, so a core on this database is open.
    const open = await env.start();
    expect((await listPlugins(open.projects)).plugins).toEqual([]);
    await token("create", "--consumer");
    const closed = await env.start();
    expect((await failureOf(listPlugins(closed.projects))).code).toBe(status.UNAUTHENTICATED);
  });
});
