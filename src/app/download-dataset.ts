import type { Knex } from "knex";
import { findCompleteBlob, readBlobChunks } from "../store/sql/blobs.js";
import { AppError } from "./errors.js";

/** Datasets plugins may read: training sets (`td_…`) and holdout sets (`ho_…`). */
const downloadable = /^(td|ho)_[0-9a-f]{24}$/;

/** Checks the name and returns the dataset's chunks, read from the store a few at a time. */
export async function openDatasetDownload(db: Knex, name: string): Promise<AsyncIterable<Buffer>> {
  if (name === "") throw new AppError("INVALID_ARGUMENT", "training_df_name is required");
  const blob = downloadable.test(name) ? await findCompleteBlob(db, name) : undefined;
  if (!blob) throw new AppError("NOT_FOUND", `no dataset named "${name.slice(0, 100)}"`);
  return readBlobChunks(db, blob.id);
}
