/**
 * UploadDataset: streams a file into the store, checked as it arrives (see checked-upload);
 * the dataset is complete, and usable by CreateProject, once every check passed.
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { hasNul } from "../../domain/text-checks.js";
import { completeBlob } from "../../store/sql/blobs.js";
import { receiveCheckedUpload } from "../blobs/checked-upload.js";

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

const maxFileNameLength = 500;

function checkFileName(fileName: string): void {
  if (fileName.length > maxFileNameLength) {
    throw new AppError(
      "INVALID_ARGUMENT",
      `file_name is longer than ${maxFileNameLength} characters`,
    );
  }
  if (hasNul(fileName)) {
    throw new AppError("INVALID_ARGUMENT", "file_name must not contain the NUL character (U+0000)");
  }
}

export async function uploadDataset(
  db: Knex,
  maxUploadBytes: number,
  metadata: UploadMetadataInput,
  chunks: AsyncIterable<Uint8Array>,
  writerReplica: string | null = null,
): Promise<UploadedDataset> {
  checkFileName(metadata.fileName);
  return receiveCheckedUpload(
    db,
    {
      prefix: "ds",
      fileName: metadata.fileName,
      maxUploadBytes,
      declared: metadata,
      writerReplica,
    },
    chunks,
    async (sealed) => {
      await completeBlob(db, sealed.id, sealed.sizeBytes, sealed.sha256);
      return { datasetId: sealed.id, sizeBytes: sealed.sizeBytes, sha256: sealed.sha256 };
    },
  );
}
