import type { Knex } from "knex";
import type { EventRow } from "../rows.js";
import { type DriverConnection, driverOf, pgQuery, sqliteStatement } from "./prepared.js";

export type NewEventRow = Omit<EventRow, "id">;

/**
 * Appends events in the order given (their ids increase in that order). In a transaction one
 * prepared statement through the driver (see appendEventRows).
 */
export async function appendEvents(db: Knex, rows: readonly NewEventRow[]): Promise<void> {
  if (rows.length === 0) return;
  if (!db.isTransaction) {
    await db("events").insert(rows);
    return;
  }
  await appendEventRows(await driverOf(db as Knex.Transaction), rows);
}

/**
 * appendEvents on a transaction's connection: a single multi-row insert on PostgreSQL; on
 * SQLite one prepared insert per row (a multi-row insert is no faster there).
 */
export async function appendEventRows(
  conn: DriverConnection,
  rows: readonly NewEventRow[],
): Promise<void> {
  if (rows.length === 0) return;
  if (conn.dialect === "postgres") {
    await pgQuery(
      conn.client,
      "tc_append_events",
      `INSERT INTO events
         (project_id, membership_id, plugin_key, project_status, plugin_status, detail, created_ms)
       SELECT project_id, membership_id, plugin_key, project_status, plugin_status, detail, created_ms
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
         $7::bigint[]) WITH ORDINALITY
         AS v(project_id, membership_id, plugin_key, project_status, plugin_status, detail,
           created_ms, n)
       ORDER BY n`,
      [
        rows.map((r) => r.project_id),
        rows.map((r) => r.membership_id),
        rows.map((r) => r.plugin_key),
        rows.map((r) => r.project_status),
        rows.map((r) => r.plugin_status),
        rows.map((r) => r.detail),
        rows.map((r) => r.created_ms),
      ],
    );
    return;
  }
  const insert = sqliteStatement(
    conn.db,
    `INSERT INTO events
       (project_id, membership_id, plugin_key, project_status, plugin_status, detail, created_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const r of rows) {
    insert.run(
      r.project_id,
      r.membership_id,
      r.plugin_key,
      r.project_status,
      r.plugin_status,
      r.detail,
      r.created_ms,
    );
  }
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
