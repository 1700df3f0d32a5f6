/**
 * Work claimed by one replica at a time: delivery leases on WAITING assignments and the
 * preprocessing of a project. A claim held by a replica whose heartbeat is older than the
 * cutoff (it died) counts as free, so another replica takes the work over.
 */
import type { Knex } from "knex";
import type { WaitingDeliveryRow } from "./assignments.js";

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

/** Free when unleased, leased by us, expired, or held by a replica that is gone. */
function whereLeaseFree(query: Knex.QueryBuilder, db: Knex, ctx: ClaimContext, alias: string) {
  return query.andWhere((free) =>
    free
      .whereNull(`${alias}lease_replica`)
      .orWhere(`${alias}lease_replica`, ctx.replicaId)
      .orWhere(`${alias}lease_expires_ms`, "<=", ctx.nowMs)
      .orWhereNotIn(`${alias}lease_replica`, liveReplicaIds(db, ctx.liveCutoffMs)),
  );
}

/**
 * WAITING assignments of `key` no other live replica holds a lease on, oldest first: their ids
 * only (the dispatcher skips those it has leased already before reading more of any row).
 */
export async function listDeliverableAssignments(
  db: Knex,
  ctx: ClaimContext,
  pluginKey: string,
  limit: number,
  afterId: number,
): Promise<{ id: number }[]> {
  const query = db("assignments as a")
    .join("projects as p", "p.id", "a.project_id")
    .select("a.id")
    .where({ "a.plugin_key": pluginKey, "a.status": "WAITING" })
    .andWhere("a.id", ">", afterId)
    .whereNotNull("p.training_blob_id");
  return whereLeaseFree(query, db, ctx, "a.").orderBy("a.id").limit(limit);
}

/**
 * Leases the given WAITING assignments to this replica until `untilMs`; returns the ids it
 * got (another replica may have leased some meanwhile: row locks make the check and the
 * update one step).
 */
export async function leaseAssignments(
  db: Knex,
  ctx: ClaimContext,
  ids: readonly number[],
  untilMs: number,
): Promise<Set<number>> {
  const rows = await leaseDeliveries(db, ctx, ids, untilMs);
  return new Set(rows.map((row) => row.id));
}

/**
 * As leaseAssignments, returning with each assignment it got what its TrainingData needs (one
 * statement: `UPDATE … FROM projects … RETURNING`). PostgreSQL only.
 */
export async function leaseDeliveries(
  db: Knex,
  ctx: ClaimContext,
  ids: readonly number[],
  untilMs: number,
): Promise<WaitingDeliveryRow[]> {
  if (ids.length === 0) return [];
  const query = db("assignments as a")
    .updateFrom("projects as p")
    .whereRaw("p.id = a.project_id")
    .whereIn("a.id", ids)
    .andWhere({ "a.status": "WAITING" });
  const rows: WaitingDeliveryRow[] = await whereLeaseFree(query, db, ctx, "a.")
    .update({ lease_replica: ctx.replicaId, lease_expires_ms: untilMs })
    .returning([
      "a.id",
      "a.project_id",
      "a.parameters_json",
      "a.additional_info_json",
      "p.training_blob_id",
    ]);
  const order = new Map(ids.map((id, i) => [id, i]));
  return rows.sort((x, y) => (order.get(x.id) ?? 0) - (order.get(y.id) ?? 0));
}

/** Ends this replica's leases on the given assignments (their holder went away). */
export async function releaseAssignments(
  db: Knex,
  replicaId: string,
  ids: readonly number[],
): Promise<void> {
  if (ids.length === 0) return;
  await db("assignments")
    .whereIn("id", ids)
    .andWhere({ lease_replica: replicaId })
    .update({ lease_replica: null, lease_expires_ms: null });
}

/** Gives up everything this replica holds (orderly shutdown): the others take it at once. */
export async function releaseEverything(db: Knex, replicaId: string): Promise<void> {
  await db("assignments")
    .where({ lease_replica: replicaId })
    .update({ lease_replica: null, lease_expires_ms: null });
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
 * preprocessing run. `unowned`: also those without a writer (the sole SQLite replica at start,
 * where every incomplete blob is a leftover).
 */
export async function deleteOrphanedBlobs(
  db: Knex,
  ctx: ClaimContext,
  unowned: boolean,
): Promise<number> {
  const orphans = () =>
    db("blobs")
      .select("id")
      .where({ complete: false })
      .andWhere((gone) => {
        gone.whereNotIn("writer_replica", liveReplicaIds(db, ctx.liveCutoffMs));
        if (unowned) gone.orWhereNull("writer_replica");
      });
  await db("blob_chunks").whereIn("blob_id", orphans()).delete();
  return db("blobs").whereIn("id", orphans()).delete();
}
