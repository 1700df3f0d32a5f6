/**
 * `normalize-throughput`: the normalized training-set writer alone (normalizeEventLog reading
 * with readCsvEventLog, sinks that drop the bytes; no store, no gRPC) over the synthetic event
 * log with a definition (an outcome rule on DURATION, a treatment rule, DATETIME case
 * attributes). Modes, each in a child process of its own so that its peak RSS is its own:
 * - `reader`: readCsvEventLog into a sink that drops the rows (the ceiling);
 * - `stream`: the synthetic log as it is (each case's events together): stream mode;
 * - `grouped`: the same log, grouped on disk from the start;
 * - `concurrent`: 100 cases open at once, their events in turn: grouped at once;
 * - `late`: the first case comes back at the last line: a whole stream pass, then a grouped one.
 * The input is read in 1 MiB chunks counted by a DeadBufferCollector, as the core reads a
 * stored file.
 *
 *   npm run bench -- normalize-throughput [MB] [rounds] [modes, comma-separated]
 */
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { EventRowSink } from "../src/app/preprocessing/event-log/event-rows.js";
import { normalizeEventLog } from "../src/app/preprocessing/event-log/normalize-event-log.js";
import { readCsvEventLog } from "../src/app/preprocessing/event-log/read-csv.js";
import type { EventLogDefinition } from "../src/domain/event-log/index.js";
import { DeadBufferCollector } from "../src/store/blobs/dead-buffer-collector.js";
import { syntheticEventLog } from "../test/helpers/datasets.js";
import { condition, rule } from "../test/helpers/event-log.js";
import { interleavedEventLog } from "./lib/interleaved-log.js";

const modes = ["reader", "stream", "grouped", "concurrent", "late"] as const;
type Mode = (typeof modes)[number];

const definition: EventLogDefinition = {
  columns: new Map([
    ["case:deadline", "DATETIME"],
    ["case:startdate", "DATETIME"],
    ["case:enddate_planned", "DATETIME"],
    ["case:enddate", "DATETIME"],
  ]),
  caseAttributes: ["case:channel", "case:department", "case:deadline", "case:responsible"],
  positiveOutcome: rule([condition("DURATION", "LESS_THAN", "30 days")]),
  treatment: rule([
    condition("ACTIVITY", "EQUAL", "T06 Determine necessity of stop advice"),
    condition("org:resource", "NOT_EQUAL", "Resource0"),
  ]),
};

/** The synthetic log, then a row of its first case. */
function* lateReturn(targetBytes: number): Generator<string> {
  yield* syntheticEventLog(targetBytes);
  yield "Internet,case-1,2011-12-06 13:41:31.788000+01:00,General,,2011-12-06 13:41:31.788000+01:00,Group 2,Resource1,2011-10-11 13:42:22.688000+02:00,task-1-99,Confirmation of receipt,complete,Group 1,Resource1,2011-10-01T00:00:00.000Z\n";
}

async function writeLog(path: string, pieces: Iterable<string>): Promise<void> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  for (const piece of pieces) if (!out.write(piece)) await once(out, "drain");
  out.end();
  await once(out, "finish");
}

/** The file in 1 MiB chunks, their dead Buffers collected as the core's stored-file reads do. */
async function* chunksOf(path: string): AsyncGenerator<Buffer> {
  const garbage = new DeadBufferCollector();
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    garbage.allocated((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}

/** One pass; returns the rows read. */
async function pass(mode: Mode, path: string): Promise<number> {
  if (mode === "reader") {
    let rows = 0;
    const sink: EventRowSink = {
      header: () => {},
      row: () => {
        rows++;
      },
      flush: async () => {},
      end: async () => {},
    };
    await readCsvEventLog(chunksOf(path), sink);
    return rows;
  }
  const drop = { write: async (_chunk: Buffer) => {} };
  const { summary } = await normalizeEventLog({
    read: async (sink) => {
      await readCsvEventLog(chunksOf(path), sink);
    },
    definition,
    holdoutFraction: 0.2,
    outputs: { open: async () => ({ training: drop, holdout: drop }), discard: async () => {} },
    grouping: mode === "grouped" ? "always" : "when-interleaved",
  });
  return summary.rows;
}

/** The child process: `--read MODE PATH ROUNDS`, started by `run`. */
async function readFile(mode: Mode, path: string, rounds: number): Promise<void> {
  const mb = statSync(path).size / 1e6;
  const peaks = { heapUsed: 0, arrayBuffers: 0 };
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peaks.heapUsed = Math.max(peaks.heapUsed, usage.heapUsed);
    peaks.arrayBuffers = Math.max(peaks.arrayBuffers, usage.arrayBuffers);
  }, 100);
  const rssBefore = process.memoryUsage().rss;
  let best = { wall: 0, cpu: 0, rows: 0 };
  for (let round = 0; round < rounds; round++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const rows = await pass(mode, path);
    const wall = mb / ((performance.now() - started) / 1000);
    const used = process.cpuUsage(cpu);
    const perCpu = mb / ((used.user + used.system) / 1e6);
    if (perCpu > best.cpu) best = { wall, cpu: perCpu, rows };
  }
  clearInterval(sampler);
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);
  process.stdout.write(
    `${mode.padEnd(11)} ${mb.toFixed(0)} MB ${best.wall.toFixed(1).padStart(6)} MB/s ` +
      `${best.cpu.toFixed(1).padStart(6)} MB/cpu-s  ${best.rows} rows  RSS ${mib(rssBefore)} → ` +
      `peak ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (heap used ≤ ` +
      `${mib(peaks.heapUsed)}, array buffers ≤ ${mib(peaks.arrayBuffers)})\n`,
  );
}

if (process.argv[2] === "--read" && process.argv[4] !== undefined) {
  await readFile(process.argv[3] as Mode, process.argv[4], Number(process.argv[5] ?? 3));
}

export async function run(argv: readonly string[]): Promise<void> {
  const targetBytes = Number(argv[0] ?? 100) * 1e6;
  const rounds = Number(argv[1] ?? 3);
  const wanted = (argv[2] ?? modes.join(",")).split(",");
  const unknown = wanted.filter((mode) => !(modes as readonly string[]).includes(mode));
  if (unknown.length > 0) throw new Error(`unknown mode ${unknown.join(", ")}: use ${modes}`);
  const dir = mkdtempSync(join(tmpdir(), "normalize-throughput-"));
  try {
    const files = new Map<string, string>();
    const fileFor = async (mode: Mode) => {
      const shape = mode === "concurrent" || mode === "late" ? mode : "synthetic";
      let path = files.get(shape);
      if (path === undefined) {
        path = join(dir, `${shape}.csv`);
        const pieces =
          shape === "concurrent"
            ? interleavedEventLog(targetBytes, 100)
            : shape === "late"
              ? lateReturn(targetBytes)
              : syntheticEventLog(targetBytes);
        await writeLog(path, pieces);
        files.set(shape, path);
      }
      return path;
    };
    const self = fileURLToPath(import.meta.url);
    for (const mode of wanted as Mode[]) {
      const path = await fileFor(mode);
      spawnSync(process.execPath, [...process.execArgv, self, "--read", mode, path, `${rounds}`], {
        stdio: "inherit",
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
