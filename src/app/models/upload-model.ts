/**
 * UploadModel: streams a membership's model file into the blob store, checked as it arrives
 * (see checked-upload), and links it to the membership in the transaction that marks it
 * complete, replacing an earlier model. The replaced file is removed after the commit (or, if
 * that fails, by the orphan sweep: a complete model blob no membership names).
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { decideModelUpload, type ModelSlot, modelNameProblem } from "../../domain/model-uploads.js";
import type { PluginStatus } from "../../domain/statuses.js";
import { inTransaction } from "../../store/commits/transactions.js";
import { completeBlob, deleteBlob } from "../../store/sql/blobs.js";
import { linkModel, MODEL_BLOB_PREFIX, type ModelTargetRow } from "../../store/sql/models.js";
import type { Principal } from "../auth/principal.js";
import { checkDeclaredFile, receiveCheckedUpload } from "../blobs/checked-upload.js";
import { checkModelRef, findModelTarget, type ModelRef } from "./model-target.js";

export interface ModelUploadInput extends ModelRef {
  readonly modelName: string;
  /** 0 when unknown. */
  readonly sizeBytes: number;
  /** '' when unknown. */
  readonly sha256: string;
}

export interface StoredModel {
  readonly modelName: string;
  readonly sizeBytes: number;
  readonly sha256: string;
}

export interface ModelUploadDeps {
  readonly db: Knex;
  /** CORE_MAX_UPLOAD_BYTES. */
  readonly maxUploadBytes: number;
  /** This replica's id: written on the file while it is uploaded (see deleteOrphanedBlobs). */
  readonly replicaId: string | null;
}

export interface ModelUploadResult extends StoredModel {
  /** The upload was an exact repeat of the stored model: nothing changed. */
  readonly unchanged: boolean;
}

function slotOf(target: ModelTargetRow): ModelSlot {
  return {
    status: target.status as PluginStatus,
    uploadName: target.model_blob_id === null ? null : target.model_upload_name,
    uploadSha256: target.model_blob_id === null ? null : target.model_sha256,
  };
}

/** Refuses (FAILED_PRECONDITION) an upload the membership's status does not allow. */
function decide(target: ModelTargetRow, modelName: string, sha256: string) {
  const decision = decideModelUpload(slotOf(target), modelName, sha256);
  if (decision.decision === "refused") {
    throw new AppError("FAILED_PRECONDITION", `plugin_id ${target.id}: ${decision.reason}`);
  }
  return decision.decision;
}

export async function uploadModel(
  deps: ModelUploadDeps,
  principal: Principal,
  input: ModelUploadInput,
  chunks: AsyncIterable<Uint8Array>,
): Promise<ModelUploadResult> {
  const { db } = deps;
  checkModelRef(input);
  const problem = modelNameProblem(input.modelName);
  if (problem) throw new AppError("INVALID_ARGUMENT", problem);
  checkDeclaredFile(input, deps.maxUploadBytes);
  // Refused before a byte is stored when it can be told already; asked again at the link.
  decide(
    await findModelTarget(db, input, principal, "upload"),
    input.modelName,
    input.sha256.toLowerCase(),
  );
  let replaced: string | null = null;
  const result = await receiveCheckedUpload(
    db,
    {
      prefix: MODEL_BLOB_PREFIX,
      fileName: input.modelName,
      maxUploadBytes: deps.maxUploadBytes,
      declared: input,
      writerReplica: deps.replicaId,
    },
    chunks,
    (sealed) =>
      inTransaction(db, async ({ trx }): Promise<ModelUploadResult> => {
        const target = await findModelTarget(trx, input, principal, "upload", true);
        const stored = { modelName: input.modelName, sizeBytes: sealed.sizeBytes };
        if (decide(target, input.modelName, sealed.sha256) === "same") {
          // The new copy is dropped below; the stored one stays.
          return { ...stored, sha256: sealed.sha256, unchanged: true };
        }
        await completeBlob(trx, sealed.id, sealed.sizeBytes, sealed.sha256);
        await linkModel(trx, target.id, sealed.id, input.modelName, Date.now());
        replaced = target.model_blob_id;
        return { ...stored, sha256: sealed.sha256, unchanged: false };
      }).then(async (outcome) => {
        // A repeat keeps the stored model: this copy was never completed; remove it.
        if (outcome.unchanged) await deleteBlob(db, sealed.id);
        return outcome;
      }),
  );
  if (replaced !== null) await deleteBlob(db, replaced).catch(() => {});
  return result;
}
