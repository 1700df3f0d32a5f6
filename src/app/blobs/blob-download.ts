import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import type { BlobRow } from "../../store/rows.js";
import { readBlobChunks } from "../../store/sql/blobs.js";

/** Refuses an offset that is not a byte offset. */
export function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new AppError("INVALID_ARGUMENT", "offset must be 0 or a positive byte offset");
  }
}

/**
 * A complete blob's bytes from `offset` on, read a few chunks at a time (an offset at its end
 * gives nothing; past its end is INVALID_ARGUMENT).
 */
export function readBlobFrom(db: Knex, blob: BlobRow, offset: number): AsyncIterable<Buffer> {
  checkOffset(offset);
  if (offset > blob.size_bytes) {
    throw new AppError(
      "INVALID_ARGUMENT",
      `offset ${offset} is past the end of the file (${blob.size_bytes} bytes)`,
    );
  }
  return readBlobChunks(db, blob.id, offset, blob.size_bytes);
}
