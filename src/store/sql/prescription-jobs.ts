/**
 * Prescription jobs: insert, read, claim the preparation (one replica at a time, like a
 * project's preprocessing), record its end, delete.
 */
import type { Knex } from "knex";
import type { PrescriptionJobRow } from "../rows.js";
import type { ClaimContext } from "./claims.js";

export type NewJobRow = Omit<
  PrescriptionJobRow,
  "cases_blob_id" | "cases" | "preparing_replica" | "finished_ms"
>;

export async function insertJob(db: Knex, row: NewJobRow): Promise<PrescriptionJobRow> {
  await db("prescription_jobs").insert(row);
  return { ...row, cases_blob_id: null, cases: 0, preparing_replica: null, finished_ms: null };
}

export async function findJob(db: Knex, id: string): Promise<PrescriptionJobRow | undefined> {
  return db<PrescriptionJobRow>("prescription_jobs").where({ id }).first();
}

export async function findJobByRequestId(
  db: Knex,
  requestId: string,
): Promise<PrescriptionJobRow | undefined> {
  return db<PrescriptionJobRow>("prescription_jobs").where({ request_id: requestId }).first();
}

/** The job, locked until the end of the transaction (PostgreSQL). */
export async function lockJob(
  trx: Knex.Transaction,
  id: string,
): Promise<PrescriptionJobRow | undefined> {
  const query = trx<PrescriptionJobRow>("prescription_jobs").where({ id });
  if (trx.client.config.client === "pg") query.forUpdate();
  return query.first();
}

/** A project's jobs, newest first, after the job `after` of the previous page (if any). */
export async function listJobsOfProject(
  db: Knex,
  projectId: number,
  limit: number,
  after: { createdMs: number; id: string } | undefined,
): Promise<PrescriptionJobRow[]> {
  const query = db<PrescriptionJobRow>("prescription_jobs").where({ project_id: projectId });
  if (after) {
    query.andWhere((older) =>
      older
        .where("created_ms", "<", after.createdMs)
        .orWhere((same) => same.where("created_ms", after.createdMs).andWhere("id", "<", after.id)),
    );
  }
  return query
    .orderBy([
      { column: "created_ms", order: "desc" },
      { column: "id", order: "desc" },
    ])
    .limit(limit);
}

/** Fields a finished preparation sets. */
export interface PreparedJob {
  readonly status: "RUNNING" | "ERROR";
  readonly error: string;
  readonly cases_blob_id: string | null;
  readonly cases: number;
  readonly finished_ms: number | null;
}

export async function recordPreparedJob(
  trx: Knex,
  id: string,
  prepared: PreparedJob,
  nowMs: number,
): Promise<void> {
  await trx("prescription_jobs")
    .where({ id })
    .update({ ...prepared, preparing_replica: null, updated_ms: nowMs });
}

/** Claims the preparation of a job that still needs it; true when this replica holds it. */
export async function claimJobPreparation(
  db: Knex,
  ctx: ClaimContext,
  id: string,
): Promise<boolean> {
  const updated = await preparingFreeFor(db, ctx)
    .andWhere({ id })
    .update({ preparing_replica: ctx.replicaId });
  return updated > 0;
}

/** Jobs PREPARING that no live replica has claimed, oldest first. */
export async function listUnclaimedPreparing(db: Knex, ctx: ClaimContext): Promise<string[]> {
  const rows: { id: string }[] = await preparingFreeFor(db, ctx).select("id").orderBy("created_ms");
  return rows.map((row) => row.id);
}

function preparingFreeFor(db: Knex, ctx: ClaimContext): Knex.QueryBuilder {
  return db("prescription_jobs")
    .where({ status: "PREPARING" })
    .andWhere((free) =>
      free
        .whereNull("preparing_replica")
        .orWhere("preparing_replica", ctx.replicaId)
        .orWhereNotIn(
          "preparing_replica",
          db("replicas").select("id").where("heartbeat_ms", ">", ctx.liveCutoffMs),
        ),
    );
}

/** Deletes the job (its cases, requests and results cascade); true when it existed. */
export async function deleteJobRow(db: Knex, id: string): Promise<boolean> {
  return (await db("prescription_jobs").where({ id }).delete()) > 0;
}

/** How many jobs (or projects) other than `jobId` use blob `blobId`. */
export async function otherBlobUsers(db: Knex, blobId: string, jobId: string): Promise<number> {
  const jobs = await db("prescription_jobs")
    .where((uses) => uses.where({ raw_blob_id: blobId }).orWhere({ cases_blob_id: blobId }))
    .andWhereNot({ id: jobId })
    .count<{ n: number | string }[]>({ n: "*" });
  const projects = await db("projects")
    .where({ raw_blob_id: blobId })
    .count<{ n: number | string }[]>({ n: "*" });
  return Number(jobs[0]?.n ?? 0) + Number(projects[0]?.n ?? 0);
}

/** True when `blobId` is the running-cases set of a prescription job. */
export async function isRunningCasesBlob(db: Knex, blobId: string): Promise<boolean> {
  const job = await db("prescription_jobs").select("id").where("cases_blob_id", blobId).first();
  return job !== undefined;
}
