/**
 * The head of a dataset, whatever its format: the first MiB of its content (gunzipped when the
 * stored bytes start with the gzip magic), read by the reader of its format. The format is
 * told by the content: XES when the first character after a BOM and whitespace is `<`, else
 * CSV. Reading stops at the first MiB, so a head costs the same for any size of file.
 */
import { pipeline, Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { AppError } from "../../../domain/errors.js";
import { inspectCsvHead } from "../csv/csv-head.js";
import { CompressedFileError, isGzip } from "../dataset-source.js";
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

/** True when the first character after a BOM and whitespace is `<`: an XML document. */
export function startsLikeXml(bytes: Uint8Array): boolean {
  let at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (at < bytes.length && [0x20, 0x09, 0x0d, 0x0a].includes(bytes[at] as number)) at++;
  return bytes[at] === 0x3c;
}

/**
 * The head of a dataset from the start of its content, by the reader of its format. Throws
 * DatasetError for a head that cannot be read (naming the line).
 */
export async function inspectDatasetHead(start: DatasetStart): Promise<DatasetHead> {
  if (startsLikeXml(start.bytes)) {
    // The XES reader's inspectXesHead takes its place here.
    throw new AppError(
      "FAILED_PRECONDITION",
      "XES is not supported yet: send the event log as CSV (comma, semicolon or tab separated)",
    );
  }
  const head = inspectCsvHead(start.bytes, start.complete);
  return { ...head, format: start.gzip ? "csv+gzip" : "csv" };
}
