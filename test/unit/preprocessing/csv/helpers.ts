/** Shared helpers for the preprocessing unit tests (not a test file). */
import { parse } from "csv-parse/sync";
import { expect } from "vitest";
import {
  type ChunkSink,
  DatasetError,
  type PreprocessOptions,
  type PreprocessSummary,
  preprocessDataset,
} from "../../../../src/app/preprocessing/csv/index.js";

/** Yields `data` in pieces of `chunkSize` bytes (the last one may be shorter). */
export async function* chunked(data: Uint8Array, chunkSize: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += chunkSize) {
    yield data.subarray(at, Math.min(data.length, at + chunkSize));
  }
}

export class MemorySink implements ChunkSink {
  readonly chunks: Buffer[] = [];
  async write(chunk: Buffer): Promise<void> {
    this.chunks.push(Buffer.from(chunk));
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

export interface RunResult {
  summary: PreprocessSummary;
  training: string;
  holdout: string;
  trainingSink: MemorySink;
  holdoutSink: MemorySink;
}

/** Runs the pipeline over `input` fed in `chunkSize`-byte pieces (default: all at once). */
export async function run(
  input: string | Uint8Array,
  options: Partial<PreprocessOptions> = {},
  chunkSize = Number.MAX_SAFE_INTEGER,
): Promise<RunResult> {
  const data = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  const trainingSink = new MemorySink();
  const holdoutSink = new MemorySink();
  const summary = await preprocessDataset(
    chunked(data, chunkSize),
    { holdoutFraction: 0, ...options },
    { training: trainingSink, holdout: holdoutSink },
  );
  return {
    summary,
    training: trainingSink.text,
    holdout: holdoutSink.text,
    trainingSink,
    holdoutSink,
  };
}

/** Runs the pipeline expecting a DatasetError, and returns it. */
export async function runFailing(
  input: string | Uint8Array,
  options: Partial<PreprocessOptions> = {},
  chunkSize?: number,
): Promise<DatasetError> {
  const error: unknown = await run(input, options, chunkSize).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

/** Parses an output file (comma-separated, as written by the pipeline). */
export function rowsOf(csv: string): string[][] {
  return parse(csv, { relax_column_count: false }) as string[][];
}
