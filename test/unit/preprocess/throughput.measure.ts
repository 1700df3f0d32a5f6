/**
 * Quick local throughput measurement (not a test): preprocessDataset against a bare csv-parse
 * pass over the same ~50 MB of generated event-log CSV, held in memory as 64 KiB chunks.
 *
 *   npx tsx test/unit/preprocess/throughput.measure.ts [megabytes]
 */
import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { preprocessDataset } from "../../../src/app/preprocess/index.js";

const targetBytes = Number(process.argv[2] ?? 50) * 1e6;
const activities = [
  "Confirmation of receipt",
  "T02 Check confirmation",
  'T06 "Determine" necessity',
];

function generate(): Buffer[] {
  const header =
    "case:channel,case:concept:name,case:deadline,case:department,case:enddate,case:group," +
    "case:responsible,case:startdate,concept:instance,concept:name,lifecycle:transition," +
    "org:group,org:resource,time:timestamp,note\n";
  const lines = [header];
  let size = header.length;
  for (let row = 0; size < targetBytes; row++) {
    const caseNo = Math.floor(row / 6);
    const activity = activities[row % 3] as string;
    const quoted = activity.includes('"') ? `"${activity.replaceAll('"', '""')}"` : activity;
    const line =
      `Internet,case-${caseNo},2011-12-06 13:41:31.788000+01:00,General,,Group ${row % 9},` +
      `Resource${row % 40},2011-10-11 13:42:22.688000+02:00,task-${row},${quoted},complete,` +
      `Group ${row % 5},Resource${row % 33},2011-10-11 13:45:40.276000+02:00,"a, b"\n`;
    lines.push(line);
    size += line.length;
  }
  const data = Buffer.from(lines.join(""));
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
    `${name.padEnd(22)} ${megabytes.toFixed(1)} MB, ${records} records: ` +
      `${bestWall.toFixed(1)} MB/s wall, ${bestCpu.toFixed(1)} MB/s per CPU second (best of 3)`,
  );
}

const chunks = generate();
await measure("bare csv-parse", chunks, bareCsvParse);
await measure("preprocessDataset", chunks, pipeline);
await measure("bare csv-parse", chunks, bareCsvParse);
await measure("preprocessDataset", chunks, pipeline);
console.log(
  `max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (input held in memory)`,
);
