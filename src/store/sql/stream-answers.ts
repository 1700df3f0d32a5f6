/**
 * Storing plugins' answers to live (stream) requests, in the caller's transaction, on its
 * driver connection: a batch of answers reads its requests in one statement and writes them
 * back with one per table (PostgreSQL; on SQLite a prepared statement per row, which costs a
 * few µs there).
 */
import { type DriverConnection, pgQuery, sqliteStatement } from "./prepared.js";

export interface StreamRequestStateRow {
  id: string;
  event_id: number;
  project_id: number;
  plugin_key: string;
  case_id: string;
  status: string;
  detail: string;
  deadline_ms: number | null;
  claim_replica: string | null;
  claim_expires_ms: number | null;
  type: string | null;
  output_json: string | null;
  result_detail: string | null;
  model_json: string | null;
  updated_ms: number;
}

const stateColumns = `id, event_id, project_id, plugin_key, case_id, status, detail, deadline_ms,
  claim_replica, claim_expires_ms, type, output_json, result_detail, model_json, updated_ms`;

/** The requests among `ids` that exist, locked until the transaction ends (PostgreSQL). */
export async function lockStreamRequests(
  conn: DriverConnection,
  ids: readonly string[],
): Promise<Map<string, StreamRequestStateRow>> {
  const out = new Map<string, StreamRequestStateRow>();
  if (ids.length === 0) return out;
  let rows: StreamRequestStateRow[];
  if (conn.dialect === "postgres") {
    rows = await pgQuery<StreamRequestStateRow>(
      conn.client,
      "tc_lock_stream_requests",
      `SELECT ${stateColumns} FROM stream_requests WHERE id = ANY($1::text[]) ORDER BY id
       FOR UPDATE`,
      [ids],
    );
  } else {
    const select = sqliteStatement(
      conn.db,
      `SELECT ${stateColumns} FROM stream_requests WHERE id = ?`,
    );
    rows = [];
    for (const id of ids) {
      const row = select.get(id) as StreamRequestStateRow | undefined;
      if (row) rows.push(row);
    }
  }
  for (const row of rows) {
    out.set(row.id, {
      ...row,
      event_id: Number(row.event_id),
      project_id: Number(row.project_id),
      deadline_ms: row.deadline_ms === null ? null : Number(row.deadline_ms),
      claim_expires_ms: row.claim_expires_ms === null ? null : Number(row.claim_expires_ms),
      updated_ms: Number(row.updated_ms),
    });
  }
  return out;
}

/** The columns an answer or a deadline changes, in the order of the statements below. */
const written = [
  "status",
  "detail",
  "updated_ms",
  "deadline_ms",
  "claim_replica",
  "claim_expires_ms",
  "type",
  "output_json",
  "result_detail",
  "model_json",
] as const;
const pgTypes = [
  "text",
  "text",
  "bigint",
  "bigint",
  "text",
  "bigint",
  "text",
  "text",
  "text",
  "text",
];

/** Writes the requests' new states (every changing column, as given). */
export async function writeStreamRequests(
  conn: DriverConnection,
  rows: readonly StreamRequestStateRow[],
): Promise<void> {
  if (rows.length === 0) return;
  if (conn.dialect === "postgres") {
    const sets = written.map((column) => `${column} = v.${column}`).join(", ");
    const arrays = written.map((_, i) => `$${i + 2}::${pgTypes[i]}[]`).join(", ");
    await pgQuery(
      conn.client,
      "tc_write_stream_requests",
      `UPDATE stream_requests AS r SET ${sets}
       FROM unnest($1::text[], ${arrays}) AS v(id, ${written.join(", ")})
       WHERE r.id = ANY($1::text[]) AND r.id = v.id`,
      [rows.map((row) => row.id), ...written.map((column) => rows.map((row) => row[column]))],
    );
    return;
  }
  const update = sqliteStatement(
    conn.db,
    `UPDATE stream_requests SET ${written.map((column) => `${column} = ?`).join(", ")}
     WHERE id = ?`,
  );
  for (const row of rows) update.run(...written.map((column) => row[column]), row.id);
}

/**
 * Counts finished requests out of their events' `pending` (`finished`: event id → how many);
 * returns each event's pending count after it.
 */
export async function finishStreamEvents(
  conn: DriverConnection,
  finished: ReadonlyMap<number, number>,
): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  if (finished.size === 0) return out;
  if (conn.dialect === "postgres") {
    const rows = await pgQuery<{ id: string; pending: number }>(
      conn.client,
      "tc_finish_stream_events",
      `UPDATE stream_events AS e SET pending = e.pending - v.n
       FROM unnest($1::bigint[], $2::int[]) AS v(id, n) WHERE e.id = ANY($1::bigint[]) AND e.id = v.id
       RETURNING e.id, e.pending`,
      [[...finished.keys()], [...finished.values()]],
    );
    for (const row of rows) out.set(Number(row.id), Number(row.pending));
    return out;
  }
  const update = sqliteStatement(
    conn.db,
    "UPDATE stream_events SET pending = pending - ? WHERE id = ? RETURNING pending",
  ).pluck();
  for (const [eventId, n] of finished) {
    const pending = update.get(n, eventId) as number | undefined;
    if (pending !== undefined) out.set(eventId, Number(pending));
  }
  return out;
}
