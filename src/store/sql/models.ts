/** Stored models: which blob holds a membership's model, linking a new one, and the sweep. */
import type { Knex } from "knex";
import type { MembershipRow } from "../rows.js";
import { deleteBlobs } from "./blobs.js";

/** Blob id prefix of stored models. */
export const MODEL_BLOB_PREFIX = "md";

/** A membership as uploading and downloading its model see it. */
export interface ModelTargetRow
  extends Pick<
    MembershipRow,
    "id" | "project_id" | "plugin_key" | "status" | "model_blob_id" | "model_upload_name"
  > {
  /** The stored model's size and hash; null when no model is stored. */
  model_size_bytes: number | null;
  model_sha256: string | null;
}

/**
 * A membership with its stored model, if any. `lock`: inside a transaction on PostgreSQL, its
 * project's row is locked first (as applying reports does), so an upload and a ModelName on
 * one membership are applied one after the other.
 */
export async function readModelTarget(
  db: Knex,
  membershipId: number,
  options: { lock?: boolean } = {},
): Promise<ModelTargetRow | undefined> {
  if (options.lock && db.isTransaction && db.client.config.client === "pg") {
    await db("projects")
      .select("id")
      .whereIn("id", db("memberships").select("project_id").where({ id: membershipId }))
      .forUpdate();
  }
  const row: ModelTargetRow | undefined = await db("memberships as m")
    .leftJoin("blobs as b", "b.id", "m.model_blob_id")
    .select(
      "m.id",
      "m.project_id",
      "m.plugin_key",
      "m.status",
      "m.model_blob_id",
      "m.model_upload_name",
      "b.size_bytes as model_size_bytes",
      "b.sha256 as model_sha256",
    )
    .where("m.id", membershipId)
    .first();
  if (!row) return undefined;
  return {
    ...row,
    model_size_bytes: row.model_size_bytes === null ? null : Number(row.model_size_bytes),
  };
}

/** Makes `blobId` the membership's stored model, named `name`. */
export async function linkModel(
  db: Knex,
  membershipId: number,
  blobId: string,
  name: string,
  nowMs: number,
): Promise<void> {
  await db("memberships")
    .where({ id: membershipId })
    .update({ model_blob_id: blobId, model_upload_name: name, updated_ms: nowMs });
}

/** The stored model's size of each membership that has one. */
export async function modelSizes(
  db: Knex,
  membershipIds: readonly number[],
): Promise<Map<number, number>> {
  const sizes = new Map<number, number>();
  const ids = [...new Set(membershipIds)];
  for (let i = 0; i < ids.length; i += 500) {
    const rows: { id: number; size_bytes: number }[] = await db("memberships as m")
      .join("blobs as b", "b.id", "m.model_blob_id")
      .select("m.id", "b.size_bytes")
      .whereIn("m.id", ids.slice(i, i + 500));
    for (const row of rows) sizes.set(Number(row.id), Number(row.size_bytes));
  }
  return sizes;
}

/**
 * Removes complete model blobs no membership names: replaced models whose removal after the
 * commit did not happen (a crash), and the models of deleted projects. A model blob becomes
 * complete in the very transaction that links it, so a complete one that no membership names
 * is never named again.
 */
export async function deleteUnreferencedModelBlobs(db: Knex): Promise<number> {
  const rows: { id: string }[] = await db("blobs")
    .select("id")
    .whereRaw("substr(id, 1, 3) = ?", [`${MODEL_BLOB_PREFIX}_`])
    .andWhere({ complete: true })
    .whereNotExists(
      db("memberships").select("id").whereRaw("memberships.model_blob_id = blobs.id"),
    );
  return deleteBlobs(
    db,
    rows.map((row) => row.id),
  );
}
