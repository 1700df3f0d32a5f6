/**
 * Stores what a batch of plugin reports changed: memberships, projects and their events. On
 * PostgreSQL one statement (two data-modifying CTEs and the events INSERT: one round trip
 * instead of three); on SQLite the three prepared statements, run per row.
 */
import type { Database } from "better-sqlite3";
import { appendEventRows, type NewEventRow } from "./events.js";
import type { MembershipStateChange } from "./memberships.js";
import { type DriverConnection, pgQuery, sqliteStatement } from "./prepared.js";
import type { ProjectState } from "./projects.js";

export interface ReportChanges {
  readonly memberships: readonly MembershipStateChange[];
  readonly projects: readonly (ProjectState & { updated_ms: number })[];
  /** Appended in this order (their ids increase in it). */
  readonly events: readonly NewEventRow[];
}

/** Stores the changes on a transaction's connection. */
export async function storeReportChanges(
  conn: DriverConnection,
  changes: ReportChanges,
): Promise<void> {
  const { memberships, projects, events } = changes;
  if (conn.dialect === "sqlite") {
    updateMembershipStates(conn.db, memberships);
    updateProjectStates(conn.db, projects);
    await appendEventRows(conn, events);
    return;
  }
  await pgQuery(
    conn.client,
    "tc_store_report_changes",
    `WITH changed_memberships AS (
       UPDATE memberships AS a SET status = v.status, model_name = v.model_name, error = v.error,
         deadline_ms = v.deadline_ms, updated_ms = v.updated_ms
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])
         AS v(id, status, model_name, error, deadline_ms, updated_ms)
       WHERE a.id = v.id
       RETURNING 1),
     changed_projects AS (
       UPDATE projects AS p SET status = v.status, error = v.error, updated_ms = v.updated_ms
       FROM unnest($7::bigint[], $8::text[], $9::text[], $10::bigint[])
         AS v(id, status, error, updated_ms)
       WHERE p.id = v.id
       RETURNING 1)
     INSERT INTO events
       (project_id, membership_id, plugin_key, project_status, plugin_status, detail, created_ms)
     SELECT project_id, membership_id, plugin_key, project_status, plugin_status, detail, created_ms
     FROM unnest($11::bigint[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[],
       $17::bigint[]) WITH ORDINALITY
       AS v(project_id, membership_id, plugin_key, project_status, plugin_status, detail,
         created_ms, n)
     ORDER BY n`,
    [
      memberships.map((r) => r.id),
      memberships.map((r) => r.status),
      memberships.map((r) => r.model_name),
      memberships.map((r) => r.error),
      memberships.map((r) => r.deadline_ms),
      memberships.map((r) => r.updated_ms),
      projects.map((r) => r.id),
      projects.map((r) => r.status),
      projects.map((r) => r.error),
      projects.map((r) => r.updated_ms),
      events.map((r) => r.project_id),
      events.map((r) => r.membership_id),
      events.map((r) => r.plugin_key),
      events.map((r) => r.project_status),
      events.map((r) => r.plugin_status),
      events.map((r) => r.detail),
      events.map((r) => r.created_ms),
    ],
  );
}

function updateMembershipStates(db: Database, rows: readonly MembershipStateChange[]): void {
  const update = sqliteStatement(
    db,
    `UPDATE memberships SET status = ?, model_name = ?, error = ?, deadline_ms = ?, updated_ms = ?
     WHERE id = ?`,
  );
  for (const r of rows) {
    update.run(r.status, r.model_name, r.error, r.deadline_ms, r.updated_ms, r.id);
  }
}

function updateProjectStates(
  db: Database,
  rows: readonly (ProjectState & { updated_ms: number })[],
): void {
  const update = sqliteStatement(
    db,
    "UPDATE projects SET status = ?, error = ?, updated_ms = ? WHERE id = ?",
  );
  for (const row of rows) update.run(row.status, row.error, row.updated_ms, row.id);
}
