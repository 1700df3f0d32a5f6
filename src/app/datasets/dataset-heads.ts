/**
 * The heads of datasets a consumer sends: inline bytes or an upload. InspectDataset answers with
 * one; CreateProject checks a definition against one. A head that cannot be read is the
 * request's problem (INVALID_ARGUMENT, naming the line), an unknown upload NOT_FOUND.
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import type { BlobRow } from "../../store/rows.js";
import { findCompleteBlob, readBlobChunks } from "../../store/sql/blobs.js";
import { DatasetError } from "../preprocessing/csv/errors.js";
import { CompressedFileError } from "../preprocessing/dataset-source.js";
import { detectFormat } from "../preprocessing/event-log/dataset-format.js";
import { inspectDatasetHead, readDatasetStart } from "../preprocessing/event-log/dataset-head.js";
import type { DatasetHead } from "../preprocessing/event-log/event-rows.js";

/** Where a dataset is: bytes sent inline, or an upload (see findUpload). */
export type DatasetSource =
  | { readonly kind: "inline"; readonly bytes: Uint8Array }
  | { readonly kind: "upload"; readonly upload: BlobRow };

/** Uploads (`ds_…`) may back any number of projects; other blobs are not the consumer's. */
export async function findUpload(db: Knex, datasetId: string): Promise<BlobRow | undefined> {
  return /^ds_[0-9a-f]{24}$/.test(datasetId) ? findCompleteBlob(db, datasetId) : undefined;
}

export function uploadNotFound(datasetId: string): AppError {
  return new AppError("NOT_FOUND", `no uploaded dataset "${datasetId.slice(0, 100)}"`);
}

/** The head of the dataset at `source`. */
export async function readDatasetHead(db: Knex, source: DatasetSource): Promise<DatasetHead> {
  const stored =
    source.kind === "inline"
      ? only(source.bytes)
      : readBlobChunks(db, source.upload.id, 0, source.upload.size_bytes);
  try {
    return await inspectDatasetHead(await readDatasetStart(stored));
  } catch (error) {
    if (error instanceof DatasetError || error instanceof CompressedFileError) {
      throw new AppError("INVALID_ARGUMENT", `dataset: ${error.message}`);
    }
    throw error;
  }
}

async function* only(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Bytes enough to tell the format, even through gzip. */
const FORMAT_PROBE_BYTES = 4096;

/** True when the dataset at `source` is XES (plain or gzip), told by its first bytes. */
export async function isXesDataset(db: Knex, source: DatasetSource): Promise<boolean> {
  let head: Uint8Array;
  if (source.kind === "inline") {
    head = source.bytes.subarray(0, FORMAT_PROBE_BYTES);
  } else {
    const { id, size_bytes: size } = source.upload;
    const chunks: Buffer[] = [];
    let read = 0;
    for await (const chunk of readBlobChunks(db, id, 0, size)) {
      chunks.push(chunk);
      read += chunk.length;
      if (read >= FORMAT_PROBE_BYTES) break; // closes the reader
    }
    head = Buffer.concat(chunks).subarray(0, FORMAT_PROBE_BYTES);
  }
  return detectFormat(head).startsWith("xes");
}
