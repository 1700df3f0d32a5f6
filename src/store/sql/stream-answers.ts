/** Storing a plugin's answer to a live (stream) request, in the caller's transaction. */
import type { Knex } from "knex";

export interface StreamRequestStateRow {
  id: string;
  event_id: number;
  project_id: number;
  plugin_key: string;
  case_id: string;
  status: string;
  detail: string;
  deadline_ms: number | null;
  type: string | null;
  output_json: string | null;
  result_detail: string | null;
  model_json: string | null;
}

/** The request, locked until the transaction ends (PostgreSQL); undefined when unknown. */
export async function lockStreamRequest(
  trx: Knex,
  id: string,
): Promise<StreamRequestStateRow | undefined> {
  const query = trx<StreamRequestStateRow>("stream_requests").where({ id });
  if (trx.client.config.client === "pg") query.forUpdate();
  const row = await query.first();
  return (
    row && {
      ...row,
      event_id: Number(row.event_id),
      project_id: Number(row.project_id),
      deadline_ms: row.deadline_ms === null ? null : Number(row.deadline_ms),
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

/**
 * Stores the request's new state; a finished request no longer counts in its event's
 * `pending`. Returns the event's pending count after the update.
 */
export async function updateStreamRequest(
  trx: Knex,
  request: StreamRequestStateRow,
  update: StreamRequestUpdate,
): Promise<number> {
  await trx("stream_requests")
    .where({ id: request.id })
    .update({
      status: update.status,
      detail: update.detail,
      updated_ms: update.nowMs,
      ...(update.finished
        ? { deadline_ms: null, claim_replica: null, claim_expires_ms: null }
        : update.claimUntilMs !== undefined
          ? { claim_expires_ms: update.claimUntilMs }
          : {}),
      ...(update.result
        ? {
            type: update.result.type,
            output_json: update.result.outputJson,
            result_detail: update.result.detail,
            model_json: update.result.modelJson,
          }
        : {}),
    });
  if (!update.finished) return -1;
  await trx("stream_events").where({ id: request.event_id }).decrement("pending", 1);
  const row = await trx("stream_events").select("pending").where({ id: request.event_id }).first();
  return Number((row as { pending: number | string } | undefined)?.pending ?? 0);
}
