// `training-core stream` against a real core, on both databases: an XES log (plain and gzip)
// posted in time order under the names preprocessing gives its attributes; and on a terminal
// (a pseudo-terminal made by `script`), the live table redrawn in place, bounded to the
// terminal, for `stream` and for `watch-prescriptions` until Ctrl-C.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, expect, it, onTestFinished } from "vitest";
import type { EventLogDefinition } from "../../src/gen/trainingcore/v1/definition.js";
import { linesOf, runCli, startCliOnTerminal } from "../helpers/cli.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { answerFor, liveProject } from "../helpers/live-prescriptions.js";
import type { TestPlugin } from "../helpers/plugin-client.js";
import { TerminalScreen } from "../helpers/terminal-screen.js";

const xesPath = new URL("../../../shared/data/running-example.xes", import.meta.url).pathname;
/** Every column preprocessing finds in running-example.xes (see src/app/preprocessing/xes). */
const xesColumns = [
  "case:concept:name",
  "case:creator",
  "concept:name",
  "org:resource",
  "time:timestamp",
  "Activity",
  "Resource",
  "Costs",
];
/** Nothing defined: the XES keys are inferred (case:concept:name, concept:name, time:timestamp). */
const inferred: EventLogDefinition = {
  columns: {},
  caseAttributes: [],
  positiveOutcome: undefined,
  negativeOutcome: undefined,
  treatment: undefined,
};

let workDir: string;
let csvPath: string;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "training-core-cli-stream-"));
  // 60 events of 30 cases, two each, interleaved: more cases than a 12-line terminal shows.
  const lines = ["case,activity,timestamp,who"];
  for (let i = 0; i < 60; i++) {
    const at = new Date(Date.UTC(2024, 0, 1, 8, i)).toISOString();
    lines.push(`case-${i % 30},${i < 30 ? "register" : "check"},${at},ann`);
  }
  csvPath = join(workDir, "events.csv");
  await writeFile(csvPath, `${lines.join("\n")}\n`);
});

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Answers every live request of `plugin` with the case's activities so far, until stopped. */
function answering(plugin: TestPlugin) {
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const request = await plugin.prescriptionRequests.next(100).catch(() => undefined);
      if (request?.input?.$case !== "casePrefix") continue;
      const { caseId, events } = request.input.value;
      const output = events.map((e) => e.ACTIVITY).join(">");
      await plugin.answer(request.requestId, answerFor(caseId, output), true);
    }
  })();
  onTestFinished(() => {
    stopped = true;
    return done;
  });
}

interface JsonEvent {
  event_id: number;
  case_id: string;
  attributes: Record<string, string>;
  prescriptions: Record<string, { output: string | null }>;
}

/** Resolves once the terminal's screen satisfies `ready`. */
function screenWhen(
  child: { stdout: NodeJS.ReadableStream | null },
  screen: TerminalScreen,
  ready: () => boolean,
): Promise<void> {
  return new Promise((resolve) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      screen.write(chunk.toString());
      if (ready()) resolve();
    });
  });
}

describeEachDialect("training-core stream: XES files and the live table", (dialect) => {
  const env = freshCorePerTest(dialect);

  it("streams an XES log (plain, then gzip) in time order under the training file's column names", async () => {
    const xes = await readFile(xesPath);
    const { projectId, plugins } = await liveProject(env, ["k"], {
      dataset: xes,
      definition: inferred,
    });
    answering(plugins.get("k") as TestPlugin);
    const address = env.core.address;
    const streamed = await runCli(["stream", String(projectId), "--events", xesPath, "--json"], {
      address,
    });
    expect(streamed.stderr).toBe("");
    expect(streamed.code).toBe(0);
    const events = linesOf(streamed.stdout).map((line) => JSON.parse(line) as JsonEvent);
    expect(events).toHaveLength(42);
    const ids = events.map((e) => e.event_id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // Posted in time order, whatever the traces' order and offsets in the file.
    const instants = events.map((e) => Date.parse(e.attributes["time:timestamp"] as string));
    expect(instants).toEqual([...instants].sort((a, b) => a - b));
    const prefixes = new Map<string, string>();
    for (const e of events) {
      expect(Object.keys(e.attributes).every((name) => xesColumns.includes(name))).toBe(true);
      expect(e.attributes["case:creator"]).toBe("Fluxicon Nitro");
      expect(e.case_id).toBe(e.attributes["case:concept:name"]);
      // The core read the posted concept:name as the activity: each prescription is the
      // case's activities so far.
      const before = prefixes.get(e.case_id);
      const activity = e.attributes["concept:name"] as string;
      const expected = before === undefined ? activity : `${before}>${activity}`;
      expect(e.prescriptions.k?.output).toBe(expected);
      prefixes.set(e.case_id, expected);
    }
    expect(prefixes.size).toBe(6);

    const gzPath = join(workDir, "running-example.xes.gz");
    await writeFile(gzPath, gzipSync(xes));
    const gz = await runCli(["stream", String(projectId), "--events", gzPath, "--json"], {
      address,
    });
    expect(gz.code).toBe(0);
    const again = linesOf(gz.stdout).map((line) => JSON.parse(line) as JsonEvent);
    expect(again.map((e) => e.attributes)).toEqual(events.map((e) => e.attributes));

    const broken = join(workDir, "broken.xes");
    await writeFile(broken, '<log>\n<trace><string key="concept:name" value="1"/>\n<event>\n');
    const refused = await runCli(["stream", String(projectId), "--events", broken], { address });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`--events ${broken}: line `);
    expect(refused.stderr).toContain("not well-formed XML");
  });

  it("on a terminal, stream redraws one table in place, bounded to the terminal, most recent case first", async () => {
    const { projectId, plugins } = await liveProject(env, ["k"]);
    answering(plugins.get("k") as TestPlugin);
    const size = { columns: 90, rows: 12 };
    const run = startCliOnTerminal(
      ["stream", String(projectId), "--events", csvPath, "--rate", "300"],
      size,
      { address: env.core.address },
    );
    const result = await run.done;
    run.child.stdin?.end();
    expect(result.code).toBe(0);
    const screen = new TerminalScreen(size.columns, size.rows);
    screen.write(result.stdout);
    const lines = screen.lines();
    expect(screen.scrolledOff).toEqual([]); // drawn in place: nothing ever scrolled
    expect(screen.cursorUps).toBeGreaterThan(0); // more than one frame, over one another
    expect(lines).toHaveLength(size.rows - 1);
    expect(lines[0]).toMatch(
      new RegExp(
        `^stream ${projectId} events\\.csv · posted 60 · acked 60 · prescribed 60 · [\\d.]+/s · \\d+s$`,
      ),
    );
    expect(lines[1]).toMatch(/^CASE\s+EVENT\s+ACTIVITY\s+k$/);
    // The last events (check of case-29, case-28, …) first; each case's latest prescription.
    const rows = lines.slice(2, -1).map((line) => line.split(/\s+/));
    expect(rows.map((r) => r[0])).toEqual([
      "case-29",
      "case-28",
      "case-27",
      "case-26",
      "case-25",
      "case-24",
      "case-23",
      "case-22",
    ]);
    for (const r of rows) expect([r[2], r[3]]).toEqual(["check", "register>check"]);
    expect(lines.at(-1)).toBe("… 22 more cases");
    // No line per event: the table is the only output.
    expect(result.stdout).not.toMatch(/#\d+ case /);
  });

  it("on a terminal, watch-prescriptions shows the table until Ctrl-C, then how to resume", async () => {
    const { projectId, plugins } = await liveProject(env, ["k"]);
    answering(plugins.get("k") as TestPlugin);
    const address = env.core.address;
    const posted = await runCli(["stream", String(projectId), "--events", csvPath, "--json"], {
      address,
    });
    expect(posted.code).toBe(0);
    const lastId = (JSON.parse(linesOf(posted.stdout).at(-1) as string) as JsonEvent).event_id;
    const size = { columns: 80, rows: 8 };
    const run = startCliOnTerminal(["watch-prescriptions", String(projectId)], size, { address });
    const screen = new TerminalScreen(size.columns, size.rows);
    await screenWhen(run.child, screen, () => /prescribed 60 /.test(screen.lines()[0] ?? ""));
    expect(screen.lines()[0]).toMatch(new RegExp(`^watch ${projectId} · prescribed 60 · `));
    expect(screen.lines()[2]).toMatch(
      new RegExp(`^case-29\\s+#${lastId}\\s+check\\s+register>check$`),
    );
    expect(screen.lines()).toHaveLength(size.rows - 1);
    expect(screen.scrolledOff).toEqual([]);
    run.interrupt();
    const result = await run.done;
    run.child.stdin?.end();
    expect(result.code).toBe(130);
    // The last frame stays; the way to resume comes below it.
    const lines = screen.lines();
    expect(lines.at(-1)).toMatch(
      new RegExp(`resume with: training-core watch-prescriptions ${projectId} --after ${lastId}$`),
    );
    expect(lines.at(-2)).toBe("… 26 more cases");
    expect(lines.some((line) => /^case-29\s/.test(line))).toBe(true);
  });
});
