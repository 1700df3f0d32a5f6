/**
 * readXes (both passes) and XesSpool (one parse, rows read back from its scratch file) over the XES twin of
 * the synthetic event log (~100 MB by default), written to a temporary file and read back in
 * 1 MiB chunks, into a sink that drops the rows; beside it one bare saxes pass over the same
 * file (opentag and closetag handlers that do nothing), the parser's ceiling for one pass.
 * Prints MB/s, MB per CPU second, and the reader's RSS: the file is generated first, then read
 * in a child process of its own, so that the peak RSS is the reader's.
 *
 *   npm run bench -- xes-throughput [megabytes] [rounds]
 */
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SaxesParser } from "saxes";
import type { EventRowSink } from "../src/app/preprocessing/event-log/event-rows.js";
import { readXes, XesSpool } from "../src/app/preprocessing/xes/index.js";
import { syntheticXesLog } from "../test/helpers/xes.js";

let targetMegabytes = 100;
let rounds = 3;

async function writeLog(path: string): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  // The XES twin is ~1.7× its CSV: aim the CSV at the XES size wanted.
  for (const piece of syntheticXesLog((targetMegabytes * 1e6) / 1.7)) {
    if (!out.write(piece)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return statSync(path).size;
}

const open = (path: string) => () => createReadStream(path, { highWaterMark: 1 << 20 });

async function readerPass(path: string): Promise<number> {
  let rows = 0;
  const sink: EventRowSink = {
    header: () => {},
    row: () => {
      rows++;
    },
    flush: async () => {},
    end: async () => {},
  };
  await readXes(open(path), sink);
  return rows;
}

/** XesSpool: one parse into the scratch spool, then the rows read back from it. */
async function spooledPass(path: string): Promise<number> {
  let rows = 0;
  const sink: EventRowSink = {
    header: () => {},
    row: () => {
      rows++;
    },
    flush: async () => {},
    end: async () => {},
  };
  const spool = XesSpool.create();
  try {
    await spool.read(open(path), sink);
  } finally {
    spool.close();
  }
  return rows;
}

async function bareSaxesPass(path: string): Promise<number> {
  let events = 0;
  const parser = new SaxesParser();
  parser.on("opentag", (tag) => {
    if (tag.name === "event") events++;
  });
  parser.on("closetag", () => {});
  const decoder = new TextDecoder();
  for await (const chunk of open(path)()) parser.write(decoder.decode(chunk, { stream: true }));
  parser.close();
  return events;
}

async function measure(name: string, bytes: number, run: () => Promise<number>): Promise<void> {
  let best = { wall: 0, cpu: 0, count: 0 };
  for (let round = 0; round < rounds; round++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const count = await run();
    const wall = bytes / 1e6 / ((performance.now() - started) / 1000);
    const used = process.cpuUsage(cpu);
    const perCpu = bytes / 1e6 / ((used.user + used.system) / 1e6);
    if (perCpu > best.cpu) best = { wall, cpu: perCpu, count };
  }
  const peakMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `${name.padEnd(22)} ${best.wall.toFixed(1).padStart(6)} MB/s ${best.cpu.toFixed(1).padStart(6)} MB/cpu-s  ${best.count} events  peak RSS ${peakMb.toFixed(0)} MB\n`,
  );
}

async function readFile(path: string): Promise<void> {
  const bytes = statSync(path).size;
  const rssBefore = process.memoryUsage().rss;
  process.stdout.write(
    `XES twin of the synthetic log: ${(bytes / 1e6).toFixed(1)} MB, RSS before reading ${(rssBefore / 2 ** 20).toFixed(0)} MB\n`,
  );
  await measure("readXes (two passes)", bytes, () => readerPass(path));
  await measure("XesSpool (one parse)", bytes, () => spooledPass(path));
  await measure("saxes alone (one pass)", bytes, () => bareSaxesPass(path));
}

/** The child process that reads: `--read PATH ROUNDS`, started by `run`. */
if (process.argv[2] === "--read" && process.argv[3] !== undefined) {
  rounds = Number(process.argv[4] ?? 3);
  await readFile(process.argv[3]);
}

export async function run(argv: readonly string[]): Promise<void> {
  targetMegabytes = Number(argv[0] ?? 100);
  rounds = Number(argv[1] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), "xes-throughput-"));
  try {
    const path = join(dir, "log.xes");
    await writeLog(path);
    const self = fileURLToPath(import.meta.url);
    spawnSync(process.execPath, [...process.execArgv, self, "--read", path, String(rounds)], {
      stdio: "inherit",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
