import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { findCompleteBlob } from "../../store/sql/blobs.js";
import { checkOffset, readBlobFrom } from "../blobs/blob-download.js";

/** Datasets plugins may read: training sets (`td_…`) and holdout sets (`ho_…`). */
const downloadable = /^(td|ho)_[0-9a-f]{24}$/;

/** Checks the request and returns the dataset's bytes from `offset` on, read a few chunks at a time. */
export async function openDatasetDownload(
  db: Knex,
  name: string,
  offset: number,
): Promise<AsyncIterable<Buffer>> {
  if (name === "") throw new AppError("INVALID_ARGUMENT", "training_df_name is required");
  checkOffset(offset);
  const blob = downloadable.test(name) ? await findCompleteBlob(db, name) : undefined;
  if (!blob) throw new AppError("NOT_FOUND", `no dataset named "${name.slice(0, 100)}"`);
  return readBlobFrom(db, blob, offset);
}
