/**
 * The head of a dataset, whatever its format: the first MiB of its content (gunzipped when the
 * stored bytes start with the gzip magic), read by the reader of its format. The format is
 * told by the content: XES when the first character after a BOM and whitespace is `<`, else
 * CSV. Reading stops at the first MiB, so a head costs the same for any size of file.
 */
import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { inspectCsvHead } from "../csv/csv-head.js";
import { CompressedFileError } from "../dataset-source.js";
import { inspectXesHead } from "../xes/index.js";
import { isGzip, startsLikeXml } from "./dataset-format.js";
import type { DatasetHead } from "./event-rows.js";

/** How much of the (decompressed) content a head is read from. */
export const HEAD_BYTES = 1024 * 1024;

/** The start of a dataset's content. */
export interface DatasetStart {
  /** Up to HEAD_BYTES of the content, gunzipped when it was gzip. */
  readonly bytes: Buffer;
  /** Whether the stored bytes were gzip. */
  readonly gzip: boolean;
  /** Whether `bytes` is the whole content (else the file goes on after them). */
  readonly complete: boolean;
}

/**
 * Reads the start of the stored bytes `stored`, and stops reading (closing the source) once it
 * has `maxBytes` of content. Throws CompressedFileError for gzip that does not decompress.
 */
export async function readDatasetStart(
  stored: AsyncIterable<Uint8Array>,
  maxBytes = HEAD_BYTES,
): Promise<DatasetStart> {
  const iterator = stored[Symbol.asyncIterator]();
  try {
    let first = await iterator.next();
    while (!first.done && first.value.length === 0) first = await iterator.next();
    if (first.done) return { bytes: Buffer.alloc(0), gzip: false, complete: true };
    const gzip = isGzip(first.value);
    const rest = resumed(first.value, iterator);
    const content: AsyncIterable<Uint8Array> = gzip
      ? pipeline(Readable.from(rest), createGunzip(), () => {})
      : rest;
    const parts: Uint8Array[] = [];
    let size = 0;
    let complete = true;
    try {
      for await (const part of content) {
        parts.push(part);
        size += part.length;
        if (size > maxBytes) {
          complete = false;
          break;
        }
      }
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (gzip && typeof code === "string" && code.startsWith("Z_")) {
        throw new CompressedFileError(
          `the file starts like gzip but cannot be decompressed (${(error as Error).message})`,
        );
      }
      throw error;
    }
    return { bytes: Buffer.concat(parts).subarray(0, maxBytes), gzip, complete };
  } finally {
    await iterator.return?.();
  }
}

/** `first`, then the rest of `iterator`. */
async function* resumed(
  first: Uint8Array,
  iterator: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  yield first;
  for (;;) {
    const next = await iterator.next();
    if (next.done) return;
    yield next.value;
  }
}

/**
 * The head of a dataset from the start of its content, by the reader of its format. Throws
 * DatasetError for a head that cannot be read (naming the line).
 */
export async function inspectDatasetHead(start: DatasetStart): Promise<DatasetHead> {
  if (startsLikeXml(start.bytes)) {
    return { ...(await inspectXesHead(start.bytes)), format: start.gzip ? "xes+gzip" : "xes" };
  }
  const head = inspectCsvHead(start.bytes, start.complete);
  return { ...head, format: start.gzip ? "csv+gzip" : "csv" };
}
