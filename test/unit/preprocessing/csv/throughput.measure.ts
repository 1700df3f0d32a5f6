/**
 * Quick local throughput measurement (not a test): preprocessDataset against a bare csv-parse
 * pass over the same generated event-log CSV (~50 MB by default), held in memory as 64 KiB
 * chunks, for three shapes: receipt-like without quotes (the common case, split without
 * csv-parse), a quoted activity on a third of the rows, and a quoted field on every row.
 *
 *   npx tsx test/unit/preprocess/throughput.measure.ts [megabytes] [shape ...]
 */
import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { preprocessDataset } from "../../../../src/app/preprocessing/csv/index.js";
import { syntheticEventLog } from "../../../helpers/datasets.js";

const targetBytes = Number(process.argv[2] ?? 50) * 1e6;
const shapes = process.argv.slice(3);
const activities = [
  "Confirmation of receipt",
  "T02 Check confirmation",
  'T06 "Determine" necessity',
];

/** Rows with a quoted activity on every third row, and a quoted note on every row if `note`. */
function quotedLog(note: boolean): string {
  const header =
    "case:channel,case:concept:name,case:deadline,case:department,case:enddate,case:group," +
    `case:responsible,case:startdate,concept:instance,concept:name,lifecycle:transition,` +
    `org:group,org:resource,time:timestamp${note ? ",note" : ""}\n`;
  const lines = [header];
  let size = header.length;
  for (let row = 0; size < targetBytes; row++) {
    const caseNo = Math.floor(row / 6);
    const activity = activities[row % 3] as string;
    const quoted = activity.includes('"') ? `"${activity.replaceAll('"', '""')}"` : activity;
    const line =
      `Internet,case-${caseNo},2011-12-06 13:41:31.788000+01:00,General,,Group ${row % 9},` +
      `Resource${row % 40},2011-10-11 13:42:22.688000+02:00,task-${row},${quoted},complete,` +
      `Group ${row % 5},Resource${row % 33},2011-10-11 13:45:40.276000+02:00${note ? ',"a, b"' : ""}\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join("");
}

function chunksOf(text: string): Buffer[] {
  const data = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += 65536) chunks.push(data.subarray(at, at + 65536));
  return chunks;
}

async function bareCsvParse(chunks: Buffer[]): Promise<number> {
  let records = 0;
  for await (const _ of Readable.from(chunks).pipe(parse({ delimiter: "," }))) records++;
  return records;
}

async function pipeline(chunks: Buffer[]): Promise<number> {
  const sink = {
    write: async (_chunk: Buffer): Promise<void> => {},
  };
  async function* source() {
    yield* chunks;
  }
  const summary = await preprocessDataset(
    source(),
    { holdoutFraction: 0.2 },
    { training: sink, holdout: sink },
  );
  return summary.rows + 1;
}

async function measure(name: string, chunks: Buffer[], run: (c: Buffer[]) => Promise<number>) {
  const megabytes = chunks.reduce((n, c) => n + c.length, 0) / 1e6;
  let bestWall = 0;
  let bestCpu = 0;
  let records = 0;
  for (let round = 0; round < 3; round++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    records = await run(chunks);
    const wall = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    bestWall = Math.max(bestWall, megabytes / wall);
    bestCpu = Math.max(bestCpu, megabytes / ((used.user + used.system) / 1e6));
  }
  console.log(
    `${name.padEnd(34)} ${megabytes.toFixed(1)} MB, ${records} records: ` +
      `${bestWall.toFixed(1)} MB/s wall, ${bestCpu.toFixed(1)} MB/s per CPU second (best of 3)`,
  );
}

const datasets: Record<string, () => Buffer[]> = {
  receipt: () => chunksOf([...syntheticEventLog(targetBytes)].join("")),
  "quoted-third": () => chunksOf(quotedLog(false)),
  "quoted-all": () => chunksOf(quotedLog(true)),
};
for (const [shape, make] of Object.entries(datasets)) {
  if (shapes.length > 0 && !shapes.includes(shape)) continue;
  const chunks = make();
  await measure(`bare csv-parse, ${shape}`, chunks, bareCsvParse);
  await measure(`preprocessDataset, ${shape}`, chunks, pipeline);
  await measure(`preprocessDataset, ${shape}`, chunks, pipeline);
}
console.log(
  `max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (input held in memory)`,
);
