/** Shared helpers for the XES reader's unit tests (not a test file). */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { DatasetError } from "../../../../src/app/preprocessing/csv/errors.js";
import type { EventRowSink } from "../../../../src/app/preprocessing/event-log/event-rows.js";
import { readXes, type XesSummary } from "../../../../src/app/preprocessing/xes/index.js";
import type { TypedHint } from "../../../../src/domain/event-log/index.js";

/** Yields `data` in pieces of `chunkSize` bytes (the last one may be shorter). */
export async function* chunked(data: Uint8Array, chunkSize: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < data.length; at += chunkSize) {
    yield data.subarray(at, Math.min(data.length, at + chunkSize));
  }
}

/** Remembers everything a reader hands it, and in which order. */
export class RecordingSink implements EventRowSink {
  columns: readonly string[] = [];
  typedHints: ReadonlyMap<string, TypedHint> = new Map();
  readonly rows: string[][] = [];
  readonly lines: number[] = [];
  /** The calls in order: "header", "row", "flush", "end". */
  readonly calls: string[] = [];

  header(columns: readonly string[], typedHints: ReadonlyMap<string, TypedHint>): void {
    this.calls.push("header");
    this.columns = columns;
    this.typedHints = typedHints;
  }
  row(cells: readonly string[], line: number): void {
    this.calls.push("row");
    this.rows.push([...cells]);
    this.lines.push(line);
  }
  async flush(): Promise<void> {
    this.calls.push("flush");
  }
  async end(): Promise<void> {
    this.calls.push("end");
  }

  /** Each row as column name → cell, without the empty cells. */
  records(): Record<string, string>[] {
    return this.rows.map((row) =>
      Object.fromEntries(
        row.flatMap((cell, i) => (cell === "" ? [] : [[this.columns[i] as string, cell]])),
      ),
    );
  }
}

export interface ReadResult {
  readonly sink: RecordingSink;
  readonly summary: XesSummary;
}

/** Reads `xml` (fed in `chunkSize`-byte pieces) into a RecordingSink. */
export async function read(
  xml: string | Uint8Array,
  chunkSize = Number.MAX_SAFE_INTEGER,
): Promise<ReadResult> {
  const data = typeof xml === "string" ? Buffer.from(xml, "utf8") : xml;
  const sink = new RecordingSink();
  const summary = await readXes(() => chunked(data, chunkSize), sink);
  return { sink, summary };
}

/** Reads `xml` expecting a DatasetError, and returns it. */
export async function readError(
  xml: string | Uint8Array,
  chunkSize?: number,
): Promise<DatasetError> {
  try {
    await read(xml, chunkSize);
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    return error as DatasetError;
  }
  throw new Error("expected a DatasetError, but the log was read");
}

/** A log around `body` (trace elements), with an XML declaration on line 1 and <log> on line 2. */
export function log(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="1.0">\n${body}</log>\n`;
}

// CI copies shared/ beside the clone: the repository's parent holds shared/data.
const dataDir = new URL("../../../../../shared/data/", import.meta.url);

/** A file of shared/data, or undefined (with a warning naming it) when it is not there. */
export function sharedDataFile(name: string): Buffer | undefined {
  const path = fileURLToPath(new URL(name, dataDir));
  if (existsSync(path)) return readFileSync(path);
  console.warn(`tests on ${name} skipped: ${path} does not exist`);
  return undefined;
}
