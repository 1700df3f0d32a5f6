// The `training-core` command line against a real core (SQLite): the CLI runs as a child
// process, a TestPlugin in this process trains, and the tests assert output and exit codes.
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cliEntry, cliEnv, collect, linesOf, repoRoot, runCli, startCli } from "../helpers/cli.js";
import { startTestCore, type TestCore } from "../helpers/core.js";
import { createTestDatabaseUrl, freePort, type TestDatabase } from "../helpers/databases.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import {
  createProject,
  getProject,
  listProjects,
  tinyCsv,
  watchToEnd,
} from "../helpers/projects.js";

const ansiEscape = "\u001b[";
const scriptIsUtilLinux = /util-linux/.test(
  spawnSync("script", ["--version"], { encoding: "utf8" }).stdout ?? "",
);

describe("training-core CLI [sqlite]", () => {
  let database: TestDatabase;
  let core: TestCore;
  let workDir: string;
  let csvPath: string;
  /** Connected for the whole file: a known key for projects created through the API. */
  let knn: TestPlugin;
  const plugins: TestPlugin[] = [];
  const options = () => ({ address: core.address });

  async function connect(key: string): Promise<TestPlugin> {
    const plugin = await TestPlugin.connect(core.address, key);
    plugins.push(plugin);
    return plugin;
  }

  beforeAll(async () => {
    database = await createTestDatabaseUrl("sqlite");
    core = await startTestCore(database.url);
    knn = await TestPlugin.connect(core.address, "knn");
    workDir = await mkdtemp(join(tmpdir(), "training-core-cli-"));
    csvPath = join(workDir, "orders.csv");
    await writeFile(csvPath, tinyCsv);
  });

  afterEach(() => {
    for (const plugin of plugins.splice(0)) plugin.close();
  });

  afterAll(async () => {
    knn?.close();
    await core?.stop();
    await database?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("lists plugins as a table and as JSON", async () => {
    await connect("lister");
    const table = await runCli(["plugins"], options());
    expect(table).toMatchObject({ code: 0, stderr: "" });
    const [header, ...rows] = linesOf(table.stdout);
    expect(header).toMatch(/^KEY\s+NAME\s+TYPE\s+ONLINE\s+INSTANCES\s+LAST SEEN$/);
    expect(rows).toContainEqual(
      expect.stringMatching(/^lister\s+Plugin lister\s+next-activity\s+yes\s+1\s+\d{4}-\d\d-\d\d /),
    );

    const json = await runCli(["plugins", "--json"], options());
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { plugins: Record<string, unknown>[] };
    expect(parsed.plugins.find((p) => p.key === "lister")).toEqual({
      key: "lister",
      name: "Plugin lister",
      type: "next-activity",
      description: "test plugin",
      parameters: { k: 3 },
      online: true,
      instances: 1,
      lastSeen: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it("creates a project with --wait while the plugin trains, and names the model", async () => {
    const trainer = await connect("trainer");
    const cli = startCli(
      [
        "project",
        "create",
        "--dataset",
        csvPath,
        "--plugin",
        "trainer",
        "--param",
        "trainer.k=5",
        "--param",
        "trainer.mode=fast",
        "--info",
        'trainer.owner={"team":"ops"}',
        "--wait",
      ],
      options(),
    );
    const td = await trainer.trainingData.next(20_000);
    expect(td.parameters).toEqual({ k: 5, mode: "fast" });
    expect(td.additionalInfo).toEqual({ owner: { team: "ops" } });
    await trainer.train(td);

    const result = await cli.done;
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const model = `trainer-${td.pluginId}.pkl`;
    expect(result.stdout).not.toContain(ansiEscape);
    const lines = linesOf(result.stdout);
    expect(lines[0]).toBe(`created project ${td.projectId} "orders.csv"`);
    expect(lines).toContainEqual(expect.stringMatching(/trainer #\d+\s+TRAINING/));
    expect(lines.at(-1)).toBe(`project ${td.projectId} is TRAINED; models: trainer: ${model}`);
    expect(result.stdout).toMatch(new RegExp(`${td.pluginId}\\s+trainer\\s+TRAINED\\s+${model}`));
    expect((await getProject(core.projects, td.projectId)).name).toBe(basename(csvPath));
  });

  it("exits 1 when the only plugin reports the dataset not applicable", async () => {
    const picky = await connect("picky");
    const cli = startCli(
      ["project", "create", "--dataset", csvPath, "--plugin", "picky", "--name", "nope", "--wait"],
      options(),
    );
    const td = await picky.trainingData.next(20_000);
    await picky.dataReport(td, false);
    const result = await cli.done;
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/picky #\d+\s+NOT_APPLICABLE/);
    expect(linesOf(result.stdout).at(-1)).toBe(
      `project ${td.projectId} ended in ERROR: no plugin is applicable`,
    );
  });

  it("prints project get and project list as JSON documents", async () => {
    const first = await createProject(core.projects, { name: "json one", pluginKeys: ["knn"] });
    const second = await createProject(core.projects, { name: "json two", pluginKeys: ["knn"] });

    const got = await runCli(["project", "get", String(first.id), "--json"], options());
    expect(got.code).toBe(0);
    const project = JSON.parse(got.stdout) as Record<string, unknown>;
    expect(Object.keys(project)).toEqual(
      expect.arrayContaining([
        "createdAt",
        "dataset",
        "description",
        "error",
        "id",
        "name",
        "pluginKeys",
        "plugins",
        "requestId",
        "status",
        "updatedAt",
      ]),
    );
    expect(project).toMatchObject({
      id: first.id,
      name: "json one",
      status: expect.stringMatching(/^PROJECT_STATUS_/),
      error: "",
      requestId: "",
      pluginKeys: ["knn"],
      plugins: expect.any(Array),
    });

    const human = await runCli(["project", "get", String(first.id)], options());
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^id:\s+\d+\nname:\s+json one\n/);

    const page = await runCli(["project", "list", "--page-size", "1", "--json"], options());
    expect(page.code).toBe(0);
    const onePage = JSON.parse(page.stdout) as {
      projects: { id: number }[];
      nextPageToken: string;
    };
    expect(onePage.projects.map((p) => p.id)).toEqual([second.id]);
    expect(onePage.nextPageToken).not.toBe("");

    const all = await runCli(["project", "list", "--all", "--page-size", "1", "--json"], options());
    const everything = JSON.parse(all.stdout) as typeof onePage;
    const expected = await listProjects(core.projects, { pageSize: 500, pageToken: "" });
    expect(everything.projects.map((p) => p.id)).toEqual(expected.projects.map((p) => p.id));
    expect(everything.nextPageToken).toBe("");

    const table = await runCli(["project", "list", "--page-size", "1"], options());
    const [header, row, more] = linesOf(table.stdout);
    expect(header).toMatch(/^ID\s+NAME\s+STATUS\s+PLUGINS\s+CREATED$/);
    expect(row).toMatch(new RegExp(`^${second.id}\\s+json two\\s+`));
    expect(more).toBe(
      `more: training-core project list --page-size 1 --page-token ${onePage.nextPageToken}`,
    );
  });

  it("returns the first project again for a repeated --request-id", async () => {
    const args = ["project", "create", "--dataset", csvPath, "--plugin", "knn", "--json"];
    const first = await runCli([...args, "--request-id", "cli-req-1"], options());
    const again = await runCli([...args, "--request-id", "cli-req-1", "--name", "x"], options());
    expect(first.code).toBe(0);
    expect(again.code).toBe(0);
    const [a, b] = [first, again].map((r) => JSON.parse(r.stdout) as { id: number });
    expect(b?.id).toBe(a?.id);
  });

  it("watches a project with one plain line per event when stdout is not a terminal", async () => {
    const watched = await connect("watched");
    const project = await createProject(core.projects, { pluginKeys: ["watched"] });
    const cli = startCli(["project", "watch", String(project.id)], options());
    const td = await watched.trainingData.next(20_000);
    await watched.train(td);
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(ansiEscape);
    const lines = linesOf(result.stdout);
    const events = lines.filter((line) => /^\d\d:\d\d:\d\d {2}/.test(line));
    expect(events[0]).toMatch(
      new RegExp(`project ${project.id}\\s+PREPROCESSING\\s+project created$`),
    );
    for (const status of ["WAITING", "PREPROCESSING", "TRAINING"]) {
      expect(events).toContainEqual(
        expect.stringMatching(new RegExp(`watched #${td.pluginId}\\s+${status}$`)),
      );
    }
    expect(events).toContainEqual(
      expect.stringMatching(`TRAINED\\s+watched-${td.pluginId}\\.pkl$`),
    );
    expect(lines.at(-1)).toBe(
      `project ${project.id} is TRAINED; models: watched: watched-${td.pluginId}.pkl`,
    );

    // --json: JSON Lines, the same events as WatchProject.
    const jsonl = await runCli(["project", "watch", String(project.id), "--json"], options());
    expect(jsonl.code).toBe(0);
    const records = linesOf(jsonl.stdout).map((line) => JSON.parse(line) as { eventId: number });
    const stored = await watchToEnd(core.projects, project.id);
    expect(records.map((r) => r.eventId)).toEqual(stored.map((e) => e.eventId));
    expect(records.at(-1)).toMatchObject({ pluginId: 0, projectStatus: "PROJECT_STATUS_TRAINED" });

    // After the final event: nothing to show but the outcome.
    const after = String(stored.at(-1)?.eventId);
    const tail = await runCli(
      ["project", "watch", String(project.id), "--after", after],
      options(),
    );
    expect(tail.code).toBe(0);
    expect(linesOf(tail.stdout).at(-1)).toMatch(/is TRAINED; models: watched: /);
    expect(tail.stdout).not.toMatch(/^\d\d:\d\d:\d\d/m);
  });

  it.skipIf(!scriptIsUtilLinux)("redraws the plugin lines in place on a terminal", async () => {
    const terminal = await connect("terminal");
    const project = await createProject(core.projects, { pluginKeys: ["terminal"], name: "tty" });
    const td = await terminal.trainingData.next(20_000);
    await terminal.train(td);
    // `script` gives the CLI a pseudo-terminal (with a size, which log-update needs).
    const command = `stty rows 40 cols 120; exec node --import tsx ${cliEntry} project watch ${project.id}`;
    const child = spawn("script", ["-qec", command, "/dev/null"], {
      cwd: repoRoot,
      env: cliEnv(options()),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const result = await collect(child, "script … project watch");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${ansiEscape}2K`); // erase line: redrawn in place
    expect(result.stdout).toContain(`project ${project.id} "tty"  TRAINED`);
    expect(result.stdout).toContain(
      `project ${project.id} is TRAINED; models: terminal: terminal-${td.pluginId}.pkl`,
    );
  });

  it("streams a file over 1 MB with UploadDataset, showing progress", async () => {
    const bigPath = join(workDir, "big.csv");
    const rows = Array.from(
      { length: 40_000 },
      (_, i) => `c${i % 997},activity-${i % 13},2024-01-01T10:00:00Z`,
    );
    await writeFile(bigPath, `case,activity,time\n${rows.join("\n")}\n`);
    const args = ["project", "create", "--dataset", bigPath, "--plugin", "knn"];
    const human = await runCli(args, options());
    expect(human.code).toBe(0);
    expect(human.stderr).toMatch(/uploading 1\.\d MB \/ 1\.\d MB\n$/);
    expect(human.stdout).toMatch(/^created project \d+ "big.csv"/);
    const json = await runCli([...args, "--json"], options());
    expect(json.code).toBe(0);
    expect(json.stderr).toMatch(/^uploading /);
    expect(JSON.parse(json.stdout)).toMatchObject({
      name: "big.csv",
      status: "PROJECT_STATUS_PREPROCESSING",
    });
  });

  // Eleven processes: a generous timeout for a loaded machine.
  it("exits 2 with a helpful message on usage errors, without calling the core", {
    timeout: 90_000,
  }, async () => {
    const cases: [string[], RegExp][] = [
      [["--bogus"], /unknown option '--bogus'/],
      [["projects"], /unknown command 'projects'/],
      [["project", "create"], /required option '--dataset <file>' not specified/],
      [
        ["project", "create", "--dataset", csvPath, "--param", "k5"],
        /expected KEY\.name=value \(e\.g\. knn\.k=5\), got "k5"/,
      ],
      [
        ["project", "create", "--dataset", csvPath, "--plugin", "a", "--param", "b.k=1"],
        /--param names plugin key\(s\) not given with --plugin: b/,
      ],
      [
        ["project", "create", "--dataset", join(workDir, "missing.csv")],
        /cannot read --dataset .*missing\.csv: ENOENT/,
      ],
      [
        ["project", "create", "--dataset", csvPath, "--holdout", "lots"],
        /expected a number such as 0\.2/,
      ],
      [["project", "get"], /missing required argument 'id'/],
      [["project", "get", "abc"], /expected a project id/],
      [["project", "list", "--page-size", "-3"], /expected a positive whole number/],
      [["project", "watch", "1", "--after", "x"], /expected an event id/],
    ];
    // A closed port: a command that called the core would fail with exit 1, not 2.
    const closed = { address: `127.0.0.1:${await freePort()}` };
    const results = [];
    // A few at a time, so that a loaded machine still runs each well within its bound.
    for (let i = 0; i < cases.length; i += 4) {
      const batch = cases.slice(i, i + 4).map(([args]) => runCli(args, closed));
      results.push(...(await Promise.all(batch)));
    }
    results.forEach((result, i) => {
      const [args, message] = cases[i] as [string[], RegExp];
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toContain("(run with --help for usage)");
      expect(result.stdout).toBe("");
    });
  });

  it("reports an unknown project as NOT_FOUND with exit 1", async () => {
    for (const command of ["get", "watch"]) {
      const result = await runCli(["project", command, "424242"], options());
      expect(result).toEqual({
        code: 1,
        stdout: "",
        stderr: "error: NOT_FOUND: project 424242 does not exist\n",
      });
    }
  });

  it("says the core is not reachable, within the deadline", async () => {
    const port = await freePort();
    const refused = await runCli(["--address", `127.0.0.1:${port}`, "--timeout", "5", "plugins"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`^error: UNAVAILABLE: the core is not reachable at 127\\.0\\.0\\.1:${port} \\(`),
    );

    // A peer that accepts connections but never speaks gRPC: the deadline ends the call.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const silentPort = typeof address === "object" && address ? address.port : 0;
    try {
      const started = Date.now();
      const hung = await runCli(["--timeout", "1", "project", "get", "1"], {
        address: `127.0.0.1:${silentPort}`,
      });
      expect(hung.code).toBe(1);
      expect(hung.stderr).toBe(
        `error: DEADLINE_EXCEEDED: the core is not reachable at 127.0.0.1:${silentPort} (no answer within 1 s)\n`,
      );
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });
});
