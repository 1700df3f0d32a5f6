import type { Knex } from "knex";
import type { ProjectRow } from "../rows.js";
import { type MembershipStatusRow, readMembershipStatuses } from "./memberships.js";
import {
  type DriverConnection,
  pgQuery,
  sqliteStatement,
  withPooledConnection,
} from "./prepared.js";

export type NewProjectRow = Omit<
  ProjectRow,
  | "id"
  | "preprocessed_ms"
  | "preprocessing_replica"
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
  | "positive_cases"
  | "treated_cases"
>;

export async function insertProject(db: Knex, row: NewProjectRow): Promise<number> {
  const [inserted] = await db<ProjectRow>("projects").insert(row).returning("id");
  if (inserted === undefined) throw new Error("insert into projects returned no id");
  return typeof inserted === "object" ? Number(inserted.id) : Number(inserted);
}

export async function findProject(db: Knex, id: number): Promise<ProjectRow | undefined> {
  return db<ProjectRow>("projects").where({ id }).first();
}

/** Whether the project exists: one prepared statement (readers ask it on every wake-up). */
export function projectExists(db: Knex, id: number): Promise<boolean> {
  return withPooledConnection(db, async (conn) =>
    conn.dialect === "postgres"
      ? (
          await pgQuery(conn.client, "tc_project_exists", "SELECT 1 FROM projects WHERE id = $1", [
            id,
          ])
        ).length > 0
      : sqliteStatement(conn.db, "SELECT 1 FROM projects WHERE id = ?").get(id) !== undefined,
  );
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
 * FOR NO KEY UPDATE: it still excludes every other such lock, but not the key-share locks that
 * inserting rows which refer to the project takes (events, requests), which FOR UPDATE would
 * wait for.
 */
export async function lockProject(
  trx: Knex.Transaction,
  id: number,
): Promise<ProjectRow | undefined> {
  const query = trx<ProjectRow>("projects").where({ id });
  if (trx.client.config.client === "pg") query.forNoKeyUpdate();
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
  /** Training cases with OUTCOME 1, when the training set has OUTCOME. */
  positive_cases?: number | null;
  /** Training cases with TREATMENT 1, when the training set has TREATMENT. */
  treated_cases?: number | null;
  /** The effective definition as preprocessing completed it (JSON), when it did. */
  effective_definition_json?: string;
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

/** What applying plugin reports reads and writes of a project. */
export interface ProjectState {
  id: number;
  status: string;
  error: string;
}

/**
 * The status of each of `ids` that exists, ascending by id; with `forUpdate` the rows are also
 * locked for the rest of the transaction (PostgreSQL, in ascending order, so two transactions
 * never wait for each other in a cycle; SQLite serializes transactions anyway). Hot path: one
 * prepared statement through the driver.
 */
export async function readProjectStates(
  conn: DriverConnection,
  ids: readonly number[],
  forUpdate: boolean,
): Promise<ProjectState[]> {
  if (ids.length === 0) return [];
  if (conn.dialect === "postgres") {
    return forUpdate
      ? pgQuery<ProjectState>(
          conn.client,
          "tc_lock_project_states",
          "SELECT id, status, error FROM projects WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
          [ids],
        )
      : pgQuery<ProjectState>(
          conn.client,
          "tc_read_project_states",
          "SELECT id, status, error FROM projects WHERE id = ANY($1::bigint[]) ORDER BY id",
          [ids],
        );
  }
  const select = sqliteStatement(conn.db, "SELECT id, status, error FROM projects WHERE id = ?");
  const rows: ProjectState[] = [];
  for (const id of [...new Set(ids)].sort((a, b) => a - b)) {
    const row = select.get(id) as ProjectState | undefined;
    if (row) rows.push(row);
  }
  return rows;
}

/** Projects locked for a batch of reports, with all their memberships. */
export interface LockedReportTargets {
  readonly projects: ProjectState[];
  readonly memberships: MembershipStatusRow[];
}

/**
 * PostgreSQL: locks the projects in ascending id order (`ORDER BY … FOR UPDATE` locks the rows
 * in the order it returns them, so two batches never wait for each other in a cycle) and reads
 * their status, then their memberships. Two statements on purpose: a row lock waited for in
 * READ COMMITTED brings back the project's newest version, but rows joined in the same
 * statement would still be those of its snapshot, taken before the other transaction committed
 * (stale memberships derived a wrong project status under three racing replicas).
 */
export async function lockProjectsWithMemberships(
  conn: DriverConnection,
  ids: readonly number[],
): Promise<LockedReportTargets> {
  const projects = await readProjectStates(conn, ids, true);
  const memberships = await readMembershipStatuses(
    conn,
    projects.map((p) => p.id),
  );
  return { projects, memberships };
}
