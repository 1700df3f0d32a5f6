/**
 * Dataset files for the `datasets` benchmark: a synthetic event log written to disk as it is
 * generated (never held in memory), and in-process passes over such a file: csv-parse alone,
 * the preprocessing scanner alone (the parser the pipeline uses: its ceiling), and the whole
 * preprocessing pipeline without the store.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import type { Info } from "csv-parse";
import { parse } from "csv-parse";
import { preprocessDataset } from "../../src/app/preprocessing/csv/index.js";
import type { RecordRouter } from "../../src/app/preprocessing/csv/records.js";
import { RecordScanner } from "../../src/app/preprocessing/csv/scanner.js";
import { syntheticEventLog } from "../../test/helpers/datasets.js";
import { syntheticXesLog } from "../../test/helpers/xes.js";
import { interleavedEventLog } from "./interleaved-log.js";

export interface GeneratedFile {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Writes a receipt-shaped event log twinning a CSV of about `targetBytes` to `path`, streaming:
 * the CSV itself, or its XES twin (about 1.7 times the bytes).
 */
export async function writeEventLog(
  path: string,
  targetBytes: number,
  format: "csv" | "xes" = "csv",
  /** CSV only: 100 cases open at a time, their events in turn (grouped on disk by the core). */
  interleaved = false,
): Promise<GeneratedFile> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const hash = createHash("sha256");
  let bytes = 0;
  let pending: string[] = [];
  let pendingLength = 0;
  const flush = async () => {
    const chunk = Buffer.from(pending.join(""));
    pending = [];
    pendingLength = 0;
    hash.update(chunk);
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, "drain");
  };
  const pieces =
    format === "xes"
      ? syntheticXesLog(targetBytes)
      : interleaved
        ? interleavedEventLog(targetBytes)
        : syntheticEventLog(targetBytes);
  for (const piece of pieces) {
    pending.push(piece);
    pendingLength += piece.length;
    if (pendingLength >= 1 << 20) await flush();
  }
  await flush();
  out.end();
  await once(out, "finish");
  return { path, bytes, sha256: hash.digest("hex") };
}

export interface Pass {
  readonly bytes: number;
  readonly records: number;
  readonly seconds: number;
  readonly mbPerSecond: number;
  /** MB per CPU second of this process (robust when the machine is shared). */
  readonly mbPerCpuSecond: number;
}

/** Reads `path` in 1 MiB chunks, at most `limitBytes` of it. */
function chunksOf(path: string, limitBytes = Number.POSITIVE_INFINITY) {
  return createReadStream(path, {
    highWaterMark: 1 << 20,
    end: Number.isFinite(limitBytes) ? limitBytes - 1 : undefined,
  });
}

/** Runs `run` once: wall time, CPU time of this process and the rate over `bytes`. */
export async function timed(bytes: number, run: () => Promise<number>): Promise<Pass> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const records = await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return {
    bytes,
    records,
    seconds,
    mbPerSecond: bytes / 1e6 / seconds,
    mbPerCpuSecond: bytes / 1e6 / cpuSeconds,
  };
}

/** csv-parse alone (the old pipeline's parser), over the first `limitBytes` of the file. */
export function bareCsvParse(file: GeneratedFile, limitBytes: number): Promise<Pass> {
  const bytes = Math.min(file.bytes, limitBytes);
  return timed(bytes, async () => {
    let records = 0;
    // A prefix may end inside a record: relax that last one.
    const parser = parse({ delimiter: ",", relax_column_count: true, relax_quotes: true });
    for await (const _ of chunksOf(file.path, bytes).pipe(parser)) records++;
    return records;
  });
}

/** Stands in for the router: splits quote-free records into fields, nothing else. */
export class SplitOnly {
  records = 0;
  fields = 0;
  blankLine(): void {}
  fastRecord(buf: Buffer, start: number, end: number): void {
    let fields = 1;
    for (let i = start; i < end; i++) if (buf[i] === 0x2c) fields++;
    this.fields += fields;
    this.records++;
  }
  beginParsed(): void {}
  handleParsed(record: string[], _info: Info): void {
    this.fields += record.length;
    this.records++;
  }
  parseFailure(error: unknown): unknown {
    return error;
  }
}

/**
 * The preprocessing scanner with a router that only splits records into fields (no
 * validation, case split or output): the parser's ceiling for the pipeline.
 */
export function bareScanner(file: GeneratedFile): Promise<Pass> {
  return timed(file.bytes, async () => {
    const router = new SplitOnly();
    const scanner = new RecordScanner(router as unknown as RecordRouter, ",");
    for await (const chunk of chunksOf(file.path)) await scanner.write(chunk as Buffer);
    await scanner.end();
    return router.fields > 0 ? router.records : 0;
  });
}

/** preprocessDataset over the file, with sinks that drop the output (no store). */
export function inProcessPipeline(file: GeneratedFile): Promise<Pass> {
  return timed(file.bytes, async () => {
    const drop = { write: async (_chunk: Buffer) => {} };
    const summary = await preprocessDataset(
      chunksOf(file.path),
      { holdoutFraction: 0.2 },
      { training: drop, holdout: drop },
    );
    return summary.rows + 1;
  });
}
