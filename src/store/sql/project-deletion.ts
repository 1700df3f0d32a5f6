/**
 * Deleting a project: what it owns, the rows themselves (memberships, events, prescription jobs
 * with their cases, requests and results go by ON DELETE CASCADE), and a tombstone so that later
 * plugin reports about it are told it was deleted. For the caller's transaction.
 */
import type { Knex } from "knex";
import { type DriverConnection, pgQuery, sqliteStatement } from "./prepared.js";

/** What a project owns, read before its rows go: for the blobs to free and the leases to end. */
export interface ProjectBelongings {
  readonly jobs: { id: string; raw_blob_id: string; cases_blob_id: string | null }[];
  readonly memberships: {
    id: number;
    plugin_key: string;
    status: string;
    model_blob_id: string | null;
  }[];
  readonly openRequests: { id: string; plugin_key: string }[];
}

export async function readProjectBelongings(
  trx: Knex,
  projectId: number,
): Promise<ProjectBelongings> {
  const jobs = await trx("prescription_jobs")
    .select("id", "raw_blob_id", "cases_blob_id")
    .where({ project_id: projectId });
  const memberships = await trx("memberships")
    .select("id", "plugin_key", "status", "model_blob_id")
    .where({ project_id: projectId });
  const openRequests = await trx("prescription_requests")
    .select("id", "plugin_key")
    .whereIn("job_id", trx("prescription_jobs").select("id").where({ project_id: projectId }))
    .whereIn("status", ["WAITING", "RUNNING"]);
  return { jobs, memberships, openRequests };
}

/**
 * Deletes the project row (everything of it cascades) and records its tombstone. Events are
 * deleted first so that the cascade from `projects` has nothing large left to walk.
 */
export async function deleteProjectRows(
  trx: Knex,
  projectId: number,
  nowMs: number,
): Promise<void> {
  await trx("prescription_jobs").where({ project_id: projectId }).delete();
  await trx("events").where({ project_id: projectId }).delete();
  await trx("memberships").where({ project_id: projectId }).delete();
  await trx("projects").where({ id: projectId }).delete();
  await trx("deleted_projects").insert({ id: projectId, deleted_ms: nowMs });
}

/** Those of `ids` that name deleted projects (on a report batch's connection). */
export async function deletedProjectsAmong(
  conn: DriverConnection,
  ids: readonly number[],
): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  if (conn.dialect === "postgres") {
    const rows = await pgQuery<{ id: string }>(
      conn.client,
      "tc_deleted_projects_among",
      "SELECT id FROM deleted_projects WHERE id = ANY($1::bigint[])",
      [ids],
    );
    return new Set(rows.map((row) => Number(row.id)));
  }
  const select = sqliteStatement(conn.db, "SELECT id FROM deleted_projects WHERE id = ?");
  return new Set(ids.filter((id) => select.get(id) !== undefined));
}

/**
 * Those of `blobIds` that no project and no prescription job (other than the ones just deleted
 * in this transaction) and no membership names any more.
 */
export async function unreferencedBlobs(trx: Knex, blobIds: readonly string[]): Promise<string[]> {
  const unique = [...new Set(blobIds)];
  if (unique.length === 0) return [];
  const used = new Set<string>();
  const collect = (rows: Record<string, string | null>[]) => {
    for (const row of rows) for (const value of Object.values(row)) if (value) used.add(value);
  };
  collect(
    await trx("projects")
      .select("raw_blob_id", "training_blob_id", "holdout_blob_id")
      .whereIn("raw_blob_id", unique)
      .orWhereIn("training_blob_id", unique)
      .orWhereIn("holdout_blob_id", unique),
  );
  collect(
    await trx("prescription_jobs")
      .select("raw_blob_id", "cases_blob_id")
      .whereIn("raw_blob_id", unique)
      .orWhereIn("cases_blob_id", unique),
  );
  collect(await trx("memberships").select("model_blob_id").whereIn("model_blob_id", unique));
  return unique.filter((id) => !used.has(id));
}
