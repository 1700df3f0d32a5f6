/** DownloadModel: a membership's stored model, from an offset on, for whoever may read it. */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { findCompleteBlob } from "../../store/sql/blobs.js";
import type { Principal } from "../auth/principal.js";
import { checkOffset, readBlobFrom } from "../blobs/blob-download.js";
import { checkModelRef, findModelTarget, type ModelRef } from "./model-target.js";

export async function openModelDownload(
  db: Knex,
  principal: Principal,
  ref: ModelRef,
  offset: number,
): Promise<AsyncIterable<Buffer>> {
  checkModelRef(ref);
  checkOffset(offset);
  const target = await findModelTarget(db, ref, principal, "download");
  const blob = target.model_blob_id ? await findCompleteBlob(db, target.model_blob_id) : undefined;
  if (!blob) {
    throw new AppError(
      "NOT_FOUND",
      `plugin_id ${ref.pluginId} of project ${ref.projectId} ("${target.plugin_key}", ${target.status}) has no stored model (its plugin has not uploaded one, or keeps its model itself)`,
    );
  }
  return readBlobFrom(db, blob, offset);
}
