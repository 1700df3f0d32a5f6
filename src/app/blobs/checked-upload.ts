/**
 * A file streamed into the store chunk by chunk, checking the size limit as bytes arrive and
 * the declared size and SHA-256 at the end, before the caller marks it complete (and links it)
 * in its own transaction. On any failure — a mismatch, the limit, the client going away, the
 * caller's refusal — the partial file is removed: nothing is kept. Datasets and models alike.
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { BlobWriter, type SealedBlob } from "../../store/blobs/blob-writer.js";

/** What the client said it would send. */
export interface DeclaredFile {
  /** 0 when unknown. */
  readonly sizeBytes: number;
  /** '' when unknown. */
  readonly sha256: string;
}

export interface CheckedUpload {
  /** The blob id prefix, e.g. `ds` for a dataset, `md` for a model. */
  readonly prefix: string;
  readonly fileName: string;
  /** CORE_MAX_UPLOAD_BYTES. */
  readonly maxUploadBytes: number;
  readonly declared: DeclaredFile;
  /** The replica writing it: if that replica dies first, the others remove the leftovers. */
  readonly writerReplica: string | null;
}

const sha256Pattern = /^[0-9a-f]{64}$/;

/** Refuses a declared size or hash that is malformed or over the limit, before any byte. */
export function checkDeclaredFile(declared: DeclaredFile, maxUploadBytes: number): void {
  if (!Number.isSafeInteger(declared.sizeBytes) || declared.sizeBytes < 0) {
    throw new AppError("INVALID_ARGUMENT", "size_bytes must be 0 (unknown) or the file's size");
  }
  if (declared.sizeBytes > maxUploadBytes) {
    throw tooLarge(maxUploadBytes, declared.sizeBytes);
  }
  if (declared.sha256 !== "" && !sha256Pattern.test(declared.sha256.toLowerCase())) {
    throw new AppError("INVALID_ARGUMENT", "sha256 must be 64 hex digits, or empty");
  }
}

function tooLarge(maxUploadBytes: number, size: number): AppError {
  return new AppError(
    "RESOURCE_EXHAUSTED",
    `the file is larger than ${maxUploadBytes} bytes (CORE_MAX_UPLOAD_BYTES); got at least ${size}`,
  );
}

/**
 * Writes `chunks` into a new blob and checks them (see the file's comment); then `complete`
 * gets the sealed, still incomplete blob and must mark it complete (or throw: the blob is
 * then removed). Resolves with what `complete` returned.
 */
export async function receiveCheckedUpload<T>(
  db: Knex,
  upload: CheckedUpload,
  chunks: AsyncIterable<Uint8Array>,
  complete: (sealed: SealedBlob) => Promise<T>,
): Promise<T> {
  const { declared, maxUploadBytes } = upload;
  checkDeclaredFile(declared, maxUploadBytes);
  const writer = await BlobWriter.create(
    db,
    upload.prefix,
    Date.now(),
    upload.fileName,
    upload.writerReplica,
  );
  try {
    for await (const chunk of chunks) {
      if (writer.bytesWritten + chunk.length > maxUploadBytes) {
        throw tooLarge(maxUploadBytes, writer.bytesWritten + chunk.length);
      }
      await writer.write(chunk);
    }
    if (writer.bytesWritten === 0) throw new AppError("INVALID_ARGUMENT", "the upload is empty");
    if (declared.sizeBytes > 0 && writer.bytesWritten !== declared.sizeBytes) {
      throw new AppError(
        "INVALID_ARGUMENT",
        `size_bytes says ${declared.sizeBytes} but ${writer.bytesWritten} bytes arrived`,
      );
    }
    const sealed = await writer.seal();
    const sha256 = declared.sha256.toLowerCase();
    if (sha256 !== "" && sealed.sha256 !== sha256) {
      throw new AppError(
        "INVALID_ARGUMENT",
        `sha256 says ${sha256} but the bytes that arrived hash to ${sealed.sha256}`,
      );
    }
    return await complete(sealed);
  } catch (error) {
    await writer.discard().catch(() => {});
    throw error;
  }
}
