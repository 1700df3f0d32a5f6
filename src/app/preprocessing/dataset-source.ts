/**
 * The bytes preprocessing reads: a stored file, gunzipped on the fly when it starts with the
 * gzip magic bytes, counting the stored bytes consumed (for progress).
 */
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { isGzip } from "./event-log/dataset-format.js";

/** The stored file is gzip-compressed but could not be decompressed. */
export class CompressedFileError extends Error {
  override readonly name = "CompressedFileError";
}

async function* counted(
  first: Uint8Array,
  rest: AsyncIterator<Uint8Array>,
  onStoredBytes: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  let bytes = first.length;
  onStoredBytes(bytes);
  yield first;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    bytes += next.value.length;
    onStoredBytes(bytes);
    yield next.value;
  }
}

export async function* datasetBytes(
  stored: AsyncIterable<Uint8Array>,
  onStoredBytes: (bytes: number) => void,
): AsyncGenerator<Uint8Array> {
  const iterator = stored[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const source = counted(first.value, iterator, onStoredBytes);
  if (!isGzip(first.value)) {
    yield* source;
    return;
  }
  const gunzip = Readable.from(source).pipe(createGunzip());
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("Z_")) {
      throw new CompressedFileError(
        `the file starts like gzip but cannot be decompressed (${(error as Error).message})`,
      );
    }
    throw error;
  }
}
