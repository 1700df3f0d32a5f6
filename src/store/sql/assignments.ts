import type { Knex } from "knex";
import type { AssignmentRow } from "../rows.js";

export type NewAssignmentRow = Omit<AssignmentRow, "id">;

export async function insertAssignments(
  db: Knex,
  rows: readonly NewAssignmentRow[],
): Promise<AssignmentRow[]> {
  if (rows.length === 0) return [];
  const ids: ({ id: number } | number)[] = await db("assignments").insert(rows).returning("id");
  return rows.map((row, i) => {
    const id = ids[i];
    return { ...row, id: typeof id === "object" ? Number(id.id) : Number(id) };
  });
}

export async function findAssignment(db: Knex, id: number): Promise<AssignmentRow | undefined> {
  return db<AssignmentRow>("assignments").where({ id }).first();
}

export async function listProjectAssignments(
  db: Knex,
  projectId: number,
): Promise<AssignmentRow[]> {
  return db<AssignmentRow>("assignments").where({ project_id: projectId }).orderBy("id");
}

export async function listAssignmentsOfProjects(
  db: Knex,
  projectIds: readonly number[],
): Promise<AssignmentRow[]> {
  if (projectIds.length === 0) return [];
  return db<AssignmentRow>("assignments").whereIn("project_id", projectIds).orderBy("id");
}

export async function updateAssignmentStatus(
  db: Knex,
  id: number,
  change: { status: string; model_name: string; error: string; deadline_ms: number | null },
  nowMs: number,
): Promise<void> {
  await db("assignments")
    .where({ id })
    .update({ ...change, updated_ms: nowMs });
}

export interface WaitingDeliveryRow extends AssignmentRow {
  training_blob_id: string;
}

/** WAITING assignments of one plugin key with their training set, oldest first. */
export async function listWaitingDeliveries(
  db: Knex,
  pluginKey: string,
  limit: number,
  afterId: number,
): Promise<WaitingDeliveryRow[]> {
  return db("assignments as a")
    .join("projects as p", "p.id", "a.project_id")
    .select("a.*", "p.training_blob_id")
    .where({ "a.plugin_key": pluginKey, "a.status": "WAITING" })
    .andWhere("a.id", ">", afterId)
    .whereNotNull("p.training_blob_id")
    .orderBy("a.id")
    .limit(limit);
}

/** Unfinished assignments whose deadline passed, oldest deadline first. */
export async function listOverdueAssignments(
  db: Knex,
  nowMs: number,
  limit: number,
): Promise<AssignmentRow[]> {
  return db<AssignmentRow>("assignments")
    .whereNotNull("deadline_ms")
    .andWhere("deadline_ms", "<=", nowMs)
    .orderBy("deadline_ms")
    .limit(limit);
}
