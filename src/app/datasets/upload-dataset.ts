/**
 * UploadDataset: streams a file into the store chunk by chunk, checking the size limit as bytes
 * arrive and the declared size and SHA-256 at the end. On any failure — a mismatch, the limit,
 * the client going away — the partial file is removed: nothing is kept.
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { hasNul } from "../../domain/text-checks.js";
import { BlobWriter } from "../../store/blobs/blob-writer.js";

export interface UploadMetadataInput {
  readonly fileName: string;
  /** 0 when unknown. */
  readonly sizeBytes: number;
  /** '' when unknown. */
  readonly sha256: string;
}

export interface UploadedDataset {
  readonly datasetId: string;
  readonly sizeBytes: number;
  readonly sha256: string;
}

const sha256Pattern = /^[0-9a-f]{64}$/;
const maxFileNameLength = 500;

function checkMetadata(metadata: UploadMetadataInput, maxUploadBytes: number): void {
  if (metadata.fileName.length > maxFileNameLength) {
    throw new AppError(
      "INVALID_ARGUMENT",
      `file_name is longer than ${maxFileNameLength} characters`,
    );
  }
  if (hasNul(metadata.fileName)) {
    throw new AppError("INVALID_ARGUMENT", "file_name must not contain the NUL character (U+0000)");
  }
  if (!Number.isSafeInteger(metadata.sizeBytes) || metadata.sizeBytes < 0) {
    throw new AppError("INVALID_ARGUMENT", "size_bytes must be 0 (unknown) or the file's size");
  }
  if (metadata.sizeBytes > maxUploadBytes) {
    throw tooLarge(maxUploadBytes, metadata.sizeBytes);
  }
  if (metadata.sha256 !== "" && !sha256Pattern.test(metadata.sha256.toLowerCase())) {
    throw new AppError("INVALID_ARGUMENT", "sha256 must be 64 hex digits, or empty");
  }
}

function tooLarge(maxUploadBytes: number, size: number): AppError {
  return new AppError(
    "RESOURCE_EXHAUSTED",
    `the file is larger than ${maxUploadBytes} bytes (CORE_MAX_UPLOAD_BYTES); got at least ${size}`,
  );
}

export async function uploadDataset(
  db: Knex,
  maxUploadBytes: number,
  metadata: UploadMetadataInput,
  chunks: AsyncIterable<Uint8Array>,
  writerReplica: string | null = null,
): Promise<UploadedDataset> {
  checkMetadata(metadata, maxUploadBytes);
  const writer = await BlobWriter.create(db, "ds", Date.now(), metadata.fileName, writerReplica);
  try {
    for await (const chunk of chunks) {
      if (writer.bytesWritten + chunk.length > maxUploadBytes) {
        throw tooLarge(maxUploadBytes, writer.bytesWritten + chunk.length);
      }
      await writer.write(chunk);
    }
    if (writer.bytesWritten === 0) throw new AppError("INVALID_ARGUMENT", "the upload is empty");
    if (metadata.sizeBytes > 0 && writer.bytesWritten !== metadata.sizeBytes) {
      throw new AppError(
        "INVALID_ARGUMENT",
        `size_bytes says ${metadata.sizeBytes} but ${writer.bytesWritten} bytes arrived`,
      );
    }
    const stored = await writer.finish();
    if (metadata.sha256 !== "" && stored.sha256 !== metadata.sha256.toLowerCase()) {
      throw new AppError(
        "INVALID_ARGUMENT",
        `sha256 says ${metadata.sha256.toLowerCase()} but the bytes that arrived hash to ${stored.sha256}`,
      );
    }
    return { datasetId: stored.id, sizeBytes: stored.sizeBytes, sha256: stored.sha256 };
  } catch (error) {
    await writer.discard().catch(() => {});
    throw error;
  }
}
