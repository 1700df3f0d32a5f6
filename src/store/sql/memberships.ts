import type { Knex } from "knex";
import type { MembershipRow } from "../rows.js";
import {
  type DriverConnection,
  pgQuery,
  sqliteStatement,
  withSqliteConnection,
} from "./prepared.js";

export type NewMembershipRow = Omit<
  MembershipRow,
  "id" | "model_blob_id" | "model_upload_name" | "serving"
>;

export async function insertMemberships(
  db: Knex,
  rows: readonly NewMembershipRow[],
): Promise<MembershipRow[]> {
  if (rows.length === 0) return [];
  const ids: ({ id: number } | number)[] = await db("memberships").insert(rows).returning("id");
  return rows.map((row, i) => {
    const id = ids[i];
    const rowId = typeof id === "object" ? Number(id.id) : Number(id);
    return { ...row, id: rowId, model_blob_id: null, model_upload_name: null, serving: true };
  });
}

export async function findMembership(db: Knex, id: number): Promise<MembershipRow | undefined> {
  return db<MembershipRow>("memberships").where({ id }).first();
}

export async function listProjectMemberships(
  db: Knex,
  projectId: number,
): Promise<MembershipRow[]> {
  return db<MembershipRow>("memberships").where({ project_id: projectId }).orderBy("id");
}

export async function listMembershipsOfProjects(
  db: Knex,
  projectIds: readonly number[],
): Promise<MembershipRow[]> {
  if (projectIds.length === 0) return [];
  return db<MembershipRow>("memberships").whereIn("project_id", projectIds).orderBy("id");
}

export async function updateMembershipStatus(
  db: Knex,
  id: number,
  change: { status: string; model_name: string; error: string; deadline_ms: number | null },
  nowMs: number,
): Promise<void> {
  await db("memberships")
    .where({ id })
    .update({ ...change, updated_ms: nowMs });
}

/** What TrainingData needs of a WAITING membership. */
export interface WaitingDeliveryRow
  extends Pick<MembershipRow, "id" | "project_id" | "parameters_json" | "additional_info_json"> {
  training_blob_id: string;
  /** The project's effective event-log definition (JSON); null for a project without one. */
  effective_definition_json: string | null;
}

/**
 * Up to `count` WAITING memberships of one plugin key whose project has its training set,
 * oldest first, other than `skip` (those the dispatcher has leased already), with what their
 * TrainingData needs. SQLite, outside a transaction, on one pooled connection: the ids first
 * (index only), then the rows wanted. (`LIMIT CAST(? AS INTEGER)`, not `LIMIT ?`: SQLite's
 * planner reads a bare parameter's value as a hint, so every new binding would prepare the
 * statement again.)
 */
export function readNextWaitingDeliveries(
  db: Knex,
  pluginKey: string,
  count: number,
  skip: ReadonlySet<number>,
): Promise<WaitingDeliveryRow[]> {
  return withSqliteConnection(db, (conn) => {
    // `count` more than those skipped: at least `count` others among them, unless fewer exist.
    const ids = sqliteStatement(
      conn,
      `SELECT a.id FROM memberships AS a JOIN projects AS p ON p.id = a.project_id
       WHERE a.plugin_key = ? AND a.status = 'WAITING' AND p.training_blob_id IS NOT NULL
       ORDER BY a.id LIMIT CAST(? AS INTEGER)`,
    )
      .pluck()
      .all(pluginKey, count + skip.size) as number[];
    const wanted = ids.filter((id) => !skip.has(id)).slice(0, count);
    const select = sqliteStatement(
      conn,
      `SELECT a.id, a.project_id, a.parameters_json, a.additional_info_json, p.training_blob_id,
         p.effective_definition_json
       FROM memberships AS a JOIN projects AS p ON p.id = a.project_id
       WHERE a.id = ?`,
    );
    return wanted.map((id) => select.get(id) as WaitingDeliveryRow);
  });
}

/** Unfinished memberships whose deadline passed, oldest deadline first. */
export async function listOverdueMemberships(
  db: Knex,
  nowMs: number,
  limit: number,
): Promise<MembershipRow[]> {
  return db<MembershipRow>("memberships")
    .whereNotNull("deadline_ms")
    .andWhere("deadline_ms", "<=", nowMs)
    .orderBy("deadline_ms")
    .limit(limit);
}

/** What applying plugin reports reads of a membership. */
export type MembershipStatusRow = Pick<
  MembershipRow,
  "id" | "project_id" | "plugin_key" | "status" | "model_name" | "error" | "model_upload_name"
>;

/**
 * The memberships of several projects, ascending by id, on a transaction's connection. Hot
 * path: prepared, via the driver.
 */
export async function readMembershipStatuses(
  conn: DriverConnection,
  projectIds: readonly number[],
): Promise<MembershipStatusRow[]> {
  if (projectIds.length === 0) return [];
  if (conn.dialect === "postgres") {
    return pgQuery<MembershipStatusRow>(
      conn.client,
      "tc_read_membership_statuses",
      `SELECT id, project_id, plugin_key, status, model_name, error, model_upload_name
       FROM memberships WHERE project_id = ANY($1::bigint[]) ORDER BY id`,
      [projectIds],
    );
  }
  // One statement, its rows as one JSON array: JSON.parse builds the rows faster than
  // better-sqlite3 sets a row object's properties one value at a time.
  const json = sqliteStatement(
    conn.db,
    `SELECT json_group_array(
       json_array(id, project_id, plugin_key, status, model_name, error, model_upload_name))
     FROM memberships WHERE project_id IN (SELECT value FROM json_each(?))`,
  )
    .pluck()
    .get(JSON.stringify(projectIds)) as string;
  const rows = (JSON.parse(json) as MembershipStatusTuple[]).map(
    ([id, project_id, plugin_key, status, model_name, error, model_upload_name]) => ({
      id,
      project_id,
      plugin_key,
      status,
      model_name,
      error,
      model_upload_name,
    }),
  );
  return rows.sort((a, b) => a.id - b.id);
}

type MembershipStatusTuple = [number, number, string, string, string, string, string | null];

export interface MembershipStateChange {
  id: number;
  status: string;
  model_name: string;
  error: string;
  deadline_ms: number | null;
  updated_ms: number;
}
