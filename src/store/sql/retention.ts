/**
 * Retention of stored files: complete blobs nothing names any more, deleted in small batches,
 * each one transaction (its rows), then its files. Uploads (`ds_…`) are kept for a while after
 * they were made, so a consumer can create a project or job from one later; files the core made
 * itself (`raw_`, `td_`, `ho_`, `rc_`) are named by their row in the transaction that records
 * them, so an unnamed one is a leftover (kept for a grace period all the same, since a streamed
 * training set is complete shortly before its project records it). Incomplete blobs (an upload
 * or a preprocessing being written) are never taken here; `deleteOrphanedBlobs` handles those of
 * dead writers.
 */
import type { Knex } from "knex";
import { blobFilesOf } from "../blobs/blob-files.js";
import { inTransaction } from "../commits/transactions.js";

/** Prefixes of the blobs this sweep collects (models: see deleteUnreferencedModelBlobs). */
const uploadPrefix = "ds_";
const generatedPrefixes = ["raw", "td_", "ho_", "rc_"] as const;

/** Blob kinds by id prefix, for the store metrics. */
export const blobKinds: Readonly<Record<string, string>> = {
  ds_: "upload",
  raw: "inline_dataset",
  td_: "training_set",
  ho_: "holdout_set",
  rc_: "running_cases",
  md_: "model",
};

export interface RetentionCutoffs {
  /** Uploads created before this (epoch ms) go once nothing names them. */
  readonly uploadsBeforeMs: number;
  /** Files the core made, created before this, go once nothing names them. */
  readonly generatedBeforeMs: number;
}

function unreferenced(db: Knex, cutoffs: RetentionCutoffs): Knex.QueryBuilder {
  return db("blobs")
    .select("id")
    .where({ complete: true })
    .andWhere((kinds) => {
      kinds.where((upload) =>
        upload
          .whereRaw("substr(id, 1, 3) = ?", [uploadPrefix])
          .andWhere("created_ms", "<", cutoffs.uploadsBeforeMs),
      );
      kinds.orWhere((generated) =>
        generated
          .whereRaw(`substr(id, 1, 3) in (${generatedPrefixes.map(() => "?").join(", ")})`, [
            ...generatedPrefixes,
          ])
          .andWhere("created_ms", "<", cutoffs.generatedBeforeMs),
      );
    })
    .whereNotExists(
      db("projects")
        .select("id")
        .whereRaw(
          "projects.raw_blob_id = blobs.id or projects.training_blob_id = blobs.id or projects.holdout_blob_id = blobs.id",
        ),
    )
    .whereNotExists(
      db("prescription_jobs")
        .select("id")
        .whereRaw(
          "prescription_jobs.raw_blob_id = blobs.id or prescription_jobs.cases_blob_id = blobs.id",
        ),
    );
}

/**
 * Deletes one batch of unreferenced blobs in one transaction (on PostgreSQL their rows locked
 * first, skipping any another transaction holds, and checked again under the lock); their files
 * after the commit. Returns how many went.
 */
export async function deleteUnreferencedBatch(
  db: Knex,
  cutoffs: RetentionCutoffs,
  batchSize: number,
): Promise<number> {
  const ids = await inTransaction(db, async ({ trx }) => {
    const query = unreferenced(trx, cutoffs).orderBy("id").limit(batchSize);
    if (trx.client.config.client === "pg") query.forUpdate().skipLocked();
    const rows: { id: string }[] = await query;
    const found = rows.map((row) => row.id);
    if (found.length === 0) return found;
    await trx("blob_chunks").whereIn("blob_id", found).delete();
    await trx("blobs").whereIn("id", found).delete();
    return found;
  });
  await blobFilesOf(db)?.remove(ids);
  return ids.length;
}

/** Every batch until none is full; how many blobs went. */
export async function deleteUnreferencedBlobs(
  db: Knex,
  cutoffs: RetentionCutoffs,
  batchSize = 100,
): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await deleteUnreferencedBatch(db, cutoffs, batchSize);
    total += deleted;
    if (deleted < batchSize) return total;
  }
}

/** Stored bytes and files of complete blobs, by kind (see blobKinds). */
export async function storedBytesByKind(
  db: Knex,
): Promise<Map<string, { bytes: number; files: number }>> {
  const rows: { prefix: string; bytes: number | string | null; files: number | string }[] =
    await db("blobs")
      .select(db.raw("substr(id, 1, 3) as prefix"))
      .sum({ bytes: "size_bytes" })
      .count({ files: "*" })
      .where({ complete: true })
      .groupByRaw("substr(id, 1, 3)");
  const result = new Map<string, { bytes: number; files: number }>();
  for (const row of rows) {
    const kind = blobKinds[row.prefix];
    if (kind) result.set(kind, { bytes: Number(row.bytes ?? 0), files: Number(row.files) });
  }
  return result;
}
