/**
 * Quick local throughput measurement (not a test): the normalized training-set writer over the
 * synthetic event log (`syntheticEventLog`, receipt-like, cases contiguous), read from a file
 * with `readCsvEventLog`, into sinks that drop the bytes; in stream mode, grouped mode (every
 * event through the temporary SQLite file), and the CSV reader alone (a sink that drops rows).
 * One mode per process, so that the peak RSS is the mode's own. Input chunks are counted by a
 * DeadBufferCollector, as the core's reads of a stored file are.
 *
 *   npx tsx test/unit/preprocessing/event-log/throughput.measure.ts [megabytes] [mode] [rounds]
 *   mode: stream | grouped | reader | interleaved (grouped after a stream pass that fails at the
 *   last line) | concurrent (100 cases open at once, their events in turn: grouped at once)
 */
import { createReadStream, createWriteStream, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import type { EventRowSink } from "../../../../src/app/preprocessing/event-log/event-rows.js";
import { normalizeEventLog } from "../../../../src/app/preprocessing/event-log/normalize-event-log.js";
import { readCsvEventLog } from "../../../../src/app/preprocessing/event-log/read-csv.js";
import { DeadBufferCollector } from "../../../../src/store/blobs/dead-buffer-collector.js";
import { syntheticEventLog } from "../../../helpers/datasets.js";
import { condition, rule } from "../../../helpers/event-log.js";
import { definitionOf } from "./helpers.js";

const megabytes = Number(process.argv[2] ?? 100);
const mode = process.argv[3] ?? "stream";

/** The synthetic log's lines with `open` cases at a time, their events taken in turn. */
function* concurrentCases(open: number): Generator<string> {
  const cases = syntheticEventLog(megabytes * 1e6);
  yield cases.next().value as string; // the header
  const queues: string[][] = [];
  let more = true;
  while (more || queues.length > 0) {
    while (more && queues.length < open) {
      const next = cases.next();
      if (next.done) more = false;
      else queues.push(next.value.split("\n").filter((line) => line !== ""));
    }
    for (const queue of queues) yield `${queue.shift()}\n`;
    for (let i = queues.length - 1; i >= 0; i--) if (queues[i]?.length === 0) queues.splice(i, 1);
  }
}

async function logFile(): Promise<string> {
  const variant = mode === "interleaved" ? "-late" : mode === "concurrent" ? "-concurrent" : "";
  const path = join(tmpdir(), `synthetic-event-log-${megabytes}MB${variant}.csv`);
  if (existsSync(path)) return path;
  const out = createWriteStream(path);
  const parts = mode === "concurrent" ? concurrentCases(100) : syntheticEventLog(megabytes * 1e6);
  for (const part of parts) {
    if (!out.write(part)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  // A row of the first case at the very end: the stream pass fails at the last line.
  if (mode === "interleaved") {
    out.write(
      "Internet,case-1,2011-12-06 13:41:31.788000+01:00,General,,2011-12-06 13:41:31.788000+01:00,Group 2,Resource1,2011-10-11 13:42:22.688000+02:00,task-1-99,Confirmation of receipt,complete,Group 1,Resource1,2011-10-01T00:00:00.000Z\n",
    );
  }
  out.end();
  await finished(out);
  return path;
}

const definition = definitionOf(
  {
    "case:deadline": "DATETIME",
    "case:startdate": "DATETIME",
    "case:enddate_planned": "DATETIME",
    "case:enddate": "DATETIME",
  },
  {
    caseAttributes: ["case:channel", "case:department", "case:deadline", "case:responsible"],
    positiveOutcome: rule([condition("DURATION", "LESS_THAN", "30 days")]),
    treatment: rule([
      condition("ACTIVITY", "EQUAL", "T06 Determine necessity of stop advice"),
      condition("org:resource", "NOT_EQUAL", "Resource0"),
    ]),
  },
);

const drop = { write: async (_chunk: Buffer) => {} };
const path = await logFile();
const bytes = statSync(path).size;
const rounds = Number(process.argv[4] ?? 1);
const rssBefore = process.memoryUsage().rss;
const peaks = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  for (const key of Object.keys(peaks) as (keyof typeof peaks)[]) {
    peaks[key] = Math.max(peaks[key], usage[key]);
  }
}, 100);

/** The file in 1 MiB chunks, their dead Buffers collected as the core's stored-file reads do. */
async function* source(): AsyncGenerator<Buffer> {
  const garbage = new DeadBufferCollector();
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    garbage.allocated((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}

/** One pass in the chosen mode; returns the rows read. */
async function pass(): Promise<number> {
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
    await readCsvEventLog(source(), sink);
    return rows;
  }
  const { summary } = await normalizeEventLog({
    read: async (sink) => {
      await readCsvEventLog(source(), sink);
    },
    definition,
    holdoutFraction: 0.2,
    outputs: { open: async () => ({ training: drop, holdout: drop }), discard: async () => {} },
    grouping: mode === "grouped" ? "always" : "when-interleaved",
  });
  return summary.rows;
}

const mb = bytes / 1e6;
for (let round = 0; round < rounds; round++) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const rows = await pass();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  console.log(
    `${mode.padEnd(12)} ${mb.toFixed(0)} MB, ${rows} rows: ${(mb / seconds).toFixed(1)} MB/s wall, ` +
      `${(mb / ((used.user + used.system) / 1e6)).toFixed(1)} MB/cpu-s`,
  );
}
clearInterval(sampler);
console.log(
  `RSS before ${(rssBefore / 2 ** 20).toFixed(0)} MiB, peak ` +
    `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (peaks in MiB: ` +
    `${Object.entries(peaks)
      .map(([key, bytes]) => `${key} ${(bytes / 2 ** 20).toFixed(0)}`)
      .join(", ")})`,
);
