import type { Knex } from "knex";
import type { ProjectRow } from "../rows.js";

export type NewProjectRow = Omit<
  ProjectRow,
  | "id"
  | "preprocessed_ms"
  | "training_blob_id"
  | "holdout_blob_id"
  | "rows"
  | "training_rows"
  | "holdout_rows"
  | "cases"
  | "columns_json"
  | "case_id_column"
  | "progress_rows"
  | "progress_bytes"
>;

export async function insertProject(db: Knex, row: NewProjectRow): Promise<number> {
  const [inserted] = await db<ProjectRow>("projects").insert(row).returning("id");
  if (inserted === undefined) throw new Error("insert into projects returned no id");
  return typeof inserted === "object" ? Number(inserted.id) : Number(inserted);
}

export async function findProject(db: Knex, id: number): Promise<ProjectRow | undefined> {
  return db<ProjectRow>("projects").where({ id }).first();
}

export async function findProjectByRequestId(
  db: Knex,
  requestId: string,
): Promise<ProjectRow | undefined> {
  return db<ProjectRow>("projects").where({ request_id: requestId }).first();
}

/**
 * Locks a project row for the rest of the transaction (PostgreSQL; SQLite transactions are
 * serialized anyway), so two reports on one project derive its status one after the other.
 */
export async function lockProject(
  trx: Knex.Transaction,
  id: number,
): Promise<ProjectRow | undefined> {
  const query = trx<ProjectRow>("projects").where({ id });
  if (trx.client.config.client === "pg") query.forUpdate();
  return query.first();
}

/** Newest first; `beforeId` is the id of the last project of the previous page. */
export async function listProjects(
  db: Knex,
  limit: number,
  beforeId: number | undefined,
): Promise<ProjectRow[]> {
  const query = db<ProjectRow>("projects").select("*").orderBy("id", "desc").limit(limit);
  if (beforeId !== undefined) query.where("id", "<", beforeId);
  return query;
}

export async function listProjectsAwaitingPreprocessing(db: Knex): Promise<number[]> {
  const rows: { id: number }[] = await db("projects")
    .select("id")
    .where({ status: "PREPROCESSING" })
    .whereNull("preprocessed_ms")
    .orderBy("id");
  return rows.map((row) => row.id);
}

export async function updateProjectStatus(
  db: Knex,
  id: number,
  status: string,
  error: string,
  nowMs: number,
): Promise<void> {
  await db("projects").where({ id }).update({ status, error, updated_ms: nowMs });
}

export interface PreprocessedDataset {
  training_blob_id: string;
  holdout_blob_id: string;
  rows: number;
  training_rows: number;
  holdout_rows: number;
  cases: number;
  columns_json: string;
  case_id_column: string;
}

export async function recordPreprocessedDataset(
  db: Knex,
  id: number,
  dataset: PreprocessedDataset,
  nowMs: number,
): Promise<void> {
  await db("projects")
    .where({ id })
    .update({ ...dataset, preprocessed_ms: nowMs, updated_ms: nowMs });
}

export async function touchProject(db: Knex, id: number, nowMs: number): Promise<void> {
  await db("projects").where({ id }).update({ updated_ms: nowMs });
}

export async function recordPreprocessingProgress(
  db: Knex,
  id: number,
  progress: { rows: number; bytes: number },
): Promise<void> {
  await db("projects")
    .where({ id })
    .update({ progress_rows: progress.rows, progress_bytes: progress.bytes });
}
