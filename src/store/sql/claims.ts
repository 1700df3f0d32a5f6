/**
 * Work claimed by one replica at a time: delivery claims on WAITING memberships and the
 * preprocessing of a project. A claim held by a replica whose heartbeat is older than the
 * cutoff (it died) counts as free, so another replica takes the work over.
 */
import type { Knex } from "knex";
import { deleteBlobs, deleteUnrecordedBlobFiles } from "./blobs.js";
import type { WaitingDeliveryRow } from "./memberships.js";
import { deleteUnreferencedModelBlobs } from "./models.js";
import { pgQuery, withPooledConnection } from "./prepared.js";

/** Replicas alive at `cutoffMs`: heartbeat newer than it. */
function liveReplicaIds(db: Knex, cutoffMs: number) {
  return db("replicas").select("id").where("heartbeat_ms", ">", cutoffMs);
}

export interface ClaimContext {
  readonly replicaId: string;
  readonly nowMs: number;
  /** Replicas with an older heartbeat are gone. */
  readonly liveCutoffMs: number;
}

/**
 * The claim statement of claimNextDeliveries. The CTE runs once (a subquery in the WHERE could
 * run again per joined row, each time skipping the rows locked by the run before, and so claim
 * more than asked for). It reads the key's WAITING rows through `memberships_waiting_by_key`
 * (migration 004). Parameters: replica id, lease end, plugin key, held ids, now, live cutoff,
 * count.
 */
export const claimNextDeliveriesSql = `WITH picked AS MATERIALIZED (
     SELECT c.id FROM memberships AS c JOIN projects AS q ON q.id = c.project_id
     WHERE c.plugin_key = $3 AND c.status = 'WAITING' AND q.training_blob_id IS NOT NULL
       AND NOT (c.id = ANY($4::bigint[]))
       AND (c.claim_replica IS NULL OR c.claim_replica = $1 OR c.claim_expires_ms <= $5
         OR c.claim_replica NOT IN (SELECT id FROM replicas WHERE heartbeat_ms > $6))
     ORDER BY c.id LIMIT $7
     FOR UPDATE OF c SKIP LOCKED)
   UPDATE memberships AS a SET claim_replica = $1, claim_expires_ms = $2
   FROM picked, projects AS p
   WHERE a.id = picked.id AND p.id = a.project_id
   RETURNING a.id, a.project_id, a.parameters_json, a.additional_info_json,
     p.training_blob_id, p.effective_definition_json`;

/**
 * Claims for this replica, until `untilMs`, up to `count` WAITING memberships of `key` whose
 * project has its training set, oldest first, other than `held` (leased to an instance of this
 * replica already) and those another live replica holds; returns them with what their
 * TrainingData needs. One statement: rows another replica is leasing at the same moment are
 * skipped (`SKIP LOCKED`), so no two replicas get one membership. PostgreSQL only.
 */
export async function claimNextDeliveries(
  db: Knex,
  ctx: ClaimContext,
  pluginKey: string,
  count: number,
  held: readonly number[],
  untilMs: number,
): Promise<WaitingDeliveryRow[]> {
  if (count <= 0) return [];
  const rows = await withPooledConnection(db, (conn) => {
    if (conn.dialect !== "postgres") throw new Error("shared claims need PostgreSQL");
    return pgQuery<WaitingDeliveryRow>(
      conn.client,
      "tc_claim_next_deliveries",
      claimNextDeliveriesSql,
      [ctx.replicaId, untilMs, pluginKey, held, ctx.nowMs, ctx.liveCutoffMs, count],
    );
  });
  return rows.sort((x, y) => x.id - y.id);
}

/** Ends this replica's claims on the given memberships (their holder went away). */
export async function releaseMemberships(
  db: Knex,
  replicaId: string,
  ids: readonly number[],
): Promise<void> {
  if (ids.length === 0) return;
  await db("memberships")
    .whereIn("id", ids)
    .andWhere({ claim_replica: replicaId })
    .update({ claim_replica: null, claim_expires_ms: null });
}

/** Gives up everything this replica holds (orderly shutdown): the others take it at once. */
export async function releaseEverything(db: Knex, replicaId: string): Promise<void> {
  await db("memberships")
    .where({ claim_replica: replicaId })
    .update({ claim_replica: null, claim_expires_ms: null });
  await db("prescription_requests")
    .where({ claim_replica: replicaId })
    .update({ claim_replica: null, claim_expires_ms: null });
  await db("projects")
    .where({ preprocessing_replica: replicaId })
    .update({ preprocessing_replica: null });
}

/**
 * Claims the preprocessing of a project that still needs it; true when this replica holds
 * the claim (already or now).
 */
export async function claimPreprocessing(
  db: Knex,
  ctx: ClaimContext,
  projectId: number,
): Promise<boolean> {
  const updated = await awaitingPreprocessingFreeFor(db, ctx)
    .andWhere({ id: projectId })
    .update({ preprocessing_replica: ctx.replicaId });
  return updated > 0;
}

/** Projects awaiting preprocessing that no live replica has claimed, oldest first. */
export async function listUnclaimedPreprocessing(db: Knex, ctx: ClaimContext): Promise<number[]> {
  const rows: { id: number }[] = await awaitingPreprocessingFreeFor(db, ctx)
    .select("id")
    .orderBy("id");
  return rows.map((row) => row.id);
}

/** Projects still to preprocess that are unclaimed, ours, or claimed by a replica that is gone. */
function awaitingPreprocessingFreeFor(db: Knex, ctx: ClaimContext): Knex.QueryBuilder {
  return db("projects")
    .where({ status: "PREPROCESSING" })
    .whereNull("preprocessed_ms")
    .andWhere((free) =>
      free
        .whereNull("preprocessing_replica")
        .orWhere("preprocessing_replica", ctx.replicaId)
        .orWhereNotIn("preprocessing_replica", liveReplicaIds(db, ctx.liveCutoffMs)),
    );
}

/**
 * Incomplete blobs whose writer replica is gone: leftovers of an interrupted upload or
 * preprocessing run; and stored models no membership names any more (replaced, or of a deleted
 * project). `unowned`: also those without a writer, and blob files no row names (the sole
 * SQLite replica at start, where every incomplete blob is a leftover).
 */
export async function deleteOrphanedBlobs(
  db: Knex,
  ctx: ClaimContext,
  unowned: boolean,
): Promise<number> {
  const orphans: { id: string }[] = await db("blobs")
    .select("id")
    .where({ complete: false })
    .andWhere((gone) => {
      gone.whereNotIn("writer_replica", liveReplicaIds(db, ctx.liveCutoffMs));
      if (unowned) gone.orWhereNull("writer_replica");
    });
  const removed = await deleteBlobs(
    db,
    orphans.map((orphan) => orphan.id),
  );
  const unreferenced = await deleteUnreferencedModelBlobs(db);
  return removed + unreferenced + (unowned ? await deleteUnrecordedBlobFiles(db) : 0);
}
