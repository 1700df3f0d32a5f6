/**
 * Storing a plugin's answer to a live (stream) request, in the caller's transaction, on its
 * driver connection: the answer path runs once per request per plugin, so each step is one
 * prepared statement (see `prepared.ts`).
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
}

const stateColumns = `id, event_id, project_id, plugin_key, case_id, status, detail, deadline_ms,
  claim_replica, claim_expires_ms, type, output_json, result_detail, model_json`;

/** The request, locked until the transaction ends (PostgreSQL); undefined when unknown. */
export async function lockStreamRequest(
  conn: DriverConnection,
  id: string,
): Promise<StreamRequestStateRow | undefined> {
  const sql = `SELECT ${stateColumns} FROM stream_requests WHERE id = $1`;
  const row =
    conn.dialect === "postgres"
      ? (
          await pgQuery<StreamRequestStateRow>(
            conn.client,
            "tc_lock_stream_request",
            `${sql} FOR UPDATE`,
            [id],
          )
        )[0]
      : (sqliteStatement(conn.db, sql.replace("$1", "?")).get(id) as
          | StreamRequestStateRow
          | undefined);
  return (
    row && {
      ...row,
      event_id: Number(row.event_id),
      project_id: Number(row.project_id),
      deadline_ms: row.deadline_ms === null ? null : Number(row.deadline_ms),
      claim_expires_ms: row.claim_expires_ms === null ? null : Number(row.claim_expires_ms),
    }
  );
}

export interface StreamRequestUpdate {
  readonly status: string;
  readonly detail: string;
  readonly finished: boolean;
  /** The one prescription, when this answer brought it. */
  readonly result?: {
    readonly type: string;
    readonly outputJson: string;
    readonly detail: string;
    readonly modelJson: string;
  };
  readonly claimUntilMs?: number;
  readonly nowMs: number;
}

const updateSql = `UPDATE stream_requests SET status = $2, detail = $3, updated_ms = $4,
  deadline_ms = $5, claim_replica = $6, claim_expires_ms = $7, type = $8, output_json = $9,
  result_detail = $10, model_json = $11 WHERE id = $1`;
const decrementSql =
  "UPDATE stream_events SET pending = pending - 1 WHERE id = $1 RETURNING pending";

/**
 * Stores the request's new state (one statement, every column given: those this answer does
 * not change keep the row's values); a finished request no longer counts in its event's
 * `pending`. Returns the event's pending count after the update (-1 when not finished).
 */
export async function updateStreamRequest(
  conn: DriverConnection,
  request: StreamRequestStateRow,
  update: StreamRequestUpdate,
): Promise<number> {
  const result = update.result;
  const values = [
    request.id,
    update.status,
    update.detail,
    update.nowMs,
    update.finished ? null : request.deadline_ms,
    update.finished ? null : request.claim_replica,
    update.finished
      ? null
      : update.claimUntilMs !== undefined
        ? update.claimUntilMs
        : request.claim_expires_ms,
    result ? result.type : request.type,
    result ? result.outputJson : request.output_json,
    result ? result.detail : request.result_detail,
    result ? result.modelJson : request.model_json,
  ];
  if (conn.dialect === "postgres") {
    await pgQuery(conn.client, "tc_update_stream_request", updateSql, values);
    if (!update.finished) return -1;
    const [row] = await pgQuery<{ pending: string | number }>(
      conn.client,
      "tc_stream_event_done",
      decrementSql,
      [request.event_id],
    );
    return Number(row?.pending ?? 0);
  }
  sqliteStatement(conn.db, updateSql.replace(/\$(\d+)/g, "@p$1")).run(
    Object.fromEntries(values.map((value, index) => [`p${index + 1}`, value])),
  );
  if (!update.finished) return -1;
  const pending = sqliteStatement(conn.db, decrementSql.replace("$1", "?"))
    .pluck()
    .get(request.event_id) as number | undefined;
  return Number(pending ?? 0);
}
