import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { findCompleteBlob } from "../../store/sql/blobs.js";
import { isRunningCasesBlob } from "../../store/sql/prescription-jobs.js";
import { checkOffset, readBlobFrom } from "../blobs/blob-download.js";

/**
 * Datasets plugins may read: training sets (`td_…`), holdout sets (`ho_…`) and the running
 * cases of prescription jobs (`rc_…`, or whatever blob a job names as its `cases_blob_id`).
 */
const downloadable = /^(td|ho|rc)_[0-9a-f]{24}$/;

async function isDownloadable(db: Knex, name: string): Promise<boolean> {
  if (downloadable.test(name)) return true;
  if (name.length > 64) return false;
  return isRunningCasesBlob(db, name);
}

/** Checks the request and returns the dataset's bytes from `offset` on, read a few chunks at a time. */
export async function openDatasetDownload(
  db: Knex,
  name: string,
  offset: number,
): Promise<AsyncIterable<Buffer>> {
  if (name === "") throw new AppError("INVALID_ARGUMENT", "training_df_name is required");
  checkOffset(offset);
  const blob = (await isDownloadable(db, name)) ? await findCompleteBlob(db, name) : undefined;
  if (!blob) throw new AppError("NOT_FOUND", `no dataset named "${name.slice(0, 100)}"`);
  return readBlobFrom(db, blob, offset);
}
