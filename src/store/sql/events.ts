import type { Knex } from "knex";
import type { EventRow } from "../rows.js";

export type NewEventRow = Omit<EventRow, "id">;

export async function appendEvents(db: Knex, rows: readonly NewEventRow[]): Promise<void> {
  if (rows.length > 0) await db("events").insert(rows);
}

export async function listEventsAfter(
  db: Knex,
  projectId: number,
  afterId: number,
  limit: number,
): Promise<EventRow[]> {
  return db<EventRow>("events")
    .where({ project_id: projectId })
    .andWhere("id", ">", afterId)
    .orderBy("id")
    .limit(limit);
}
