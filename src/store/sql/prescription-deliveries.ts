/**
 * Handing prescription requests out: which requests of a plugin key are ready for an instance
 * (WAITING or RUNNING, job RUNNING, deadline not passed, the key prescribes), with what their PrescriptionRequest
 * needs; the replica claims on PostgreSQL (like `claimNextDeliveries` for memberships); and
 * the first delivery's mark (RUNNING, `first_delivered_ms`, the deadline from then).
 */
import type { Knex } from "knex";
import type { ClaimContext } from "./claims.js";
import {
  pgQuery,
  sqliteStatement,
  withPooledConnection,
  withSqliteConnection,
} from "./prepared.js";

/** What a PrescriptionRequest needs of a request. */
export interface RequestDeliveryRow {
  id: string;
  job_id: string;
  project_id: number;
  membership_id: number;
  model_name: string;
  parameters_json: string;
  additional_info_json: string;
  cases_blob_id: string;
  /** The project's effective event-log definition (JSON); null for a project without one. */
  effective_definition_json: string | null;
  first_delivered_ms: number | null;
}

const deliveryColumns = `r.id, r.job_id, m.project_id, r.membership_id, m.model_name,
  m.parameters_json, m.additional_info_json, j.cases_blob_id, p.effective_definition_json,
  r.first_delivered_ms`;

const deliveryJoins = `JOIN prescription_jobs AS j ON j.id = r.job_id
  JOIN memberships AS m ON m.id = r.membership_id
  JOIN projects AS p ON p.id = m.project_id`;

/**
 * Up to `count` requests of `key` ready for delivery, oldest first, other than `skip` (leased
 * here already). SQLite, outside a transaction.
 */
export function readNextRequestDeliveries(
  db: Knex,
  key: string,
  count: number,
  skip: ReadonlySet<string>,
  nowMs: number,
): Promise<RequestDeliveryRow[]> {
  if (count <= 0) return Promise.resolve([]);
  return withSqliteConnection(db, (conn) => {
    const ids = sqliteStatement(
      conn,
      `SELECT r.id FROM prescription_requests AS r JOIN prescription_jobs AS j ON j.id = r.job_id
         JOIN plugins AS pl ON pl.key = r.plugin_key
       WHERE r.plugin_key = ? AND pl.prescribes = TRUE AND r.status IN ('WAITING', 'RUNNING') AND j.status = 'RUNNING'
         AND j.cases_blob_id IS NOT NULL AND (r.deadline_ms IS NULL OR r.deadline_ms > ?)
       ORDER BY r.created_ms, r.id LIMIT CAST(? AS INTEGER)`,
    )
      .pluck()
      .all(key, nowMs, count + skip.size) as string[];
    const wanted = ids.filter((id) => !skip.has(id)).slice(0, count);
    const select = sqliteStatement(
      conn,
      `SELECT ${deliveryColumns} FROM prescription_requests AS r ${deliveryJoins} WHERE r.id = ?`,
    );
    return wanted.map((id) => select.get(id) as RequestDeliveryRow);
  });
}

/**
 * The claim statement of claimNextRequests (see `claimNextDeliveriesSql`). Parameters: replica
 * id, claim end, plugin key, held ids, now, live cutoff, count.
 */
const claimNextRequestsSql = `WITH picked AS MATERIALIZED (
     SELECT r.id FROM prescription_requests AS r JOIN prescription_jobs AS j ON j.id = r.job_id
       JOIN plugins AS pl ON pl.key = r.plugin_key
     WHERE r.plugin_key = $3 AND pl.prescribes AND r.status IN ('WAITING', 'RUNNING') AND j.status = 'RUNNING'
       AND j.cases_blob_id IS NOT NULL AND (r.deadline_ms IS NULL OR r.deadline_ms > $5)
       AND NOT (r.id = ANY($4::text[]))
       AND (r.claim_replica IS NULL OR r.claim_replica = $1 OR r.claim_expires_ms <= $5
         OR r.claim_replica NOT IN (SELECT id FROM replicas WHERE heartbeat_ms > $6))
     ORDER BY r.created_ms, r.id LIMIT $7
     FOR UPDATE OF r SKIP LOCKED)
   UPDATE prescription_requests AS r SET claim_replica = $1, claim_expires_ms = $2
   FROM picked, prescription_jobs AS j, memberships AS m, projects AS p
   WHERE r.id = picked.id AND j.id = r.job_id AND m.id = r.membership_id AND p.id = m.project_id
   RETURNING ${deliveryColumns}`;

/** Claims up to `count` ready requests of `key` for this replica until `untilMs`. PostgreSQL. */
export async function claimNextRequests(
  db: Knex,
  ctx: ClaimContext,
  key: string,
  count: number,
  held: readonly string[],
  untilMs: number,
): Promise<RequestDeliveryRow[]> {
  if (count <= 0) return [];
  const rows = await withPooledConnection(db, (conn) => {
    if (conn.dialect !== "postgres") throw new Error("shared claims need PostgreSQL");
    return pgQuery<RequestDeliveryRow>(
      conn.client,
      "tc_claim_next_requests",
      claimNextRequestsSql,
      [ctx.replicaId, untilMs, key, held, ctx.nowMs, ctx.liveCutoffMs, count],
    );
  });
  return rows.map((row) => ({
    ...row,
    project_id: Number(row.project_id),
    membership_id: Number(row.membership_id),
    first_delivered_ms: row.first_delivered_ms === null ? null : Number(row.first_delivered_ms),
  }));
}

/** Ends this replica's claims on the given requests (their holder went away). */
export async function releaseRequests(
  db: Knex,
  replicaId: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  await db("prescription_requests")
    .whereIn("id", ids)
    .andWhere({ claim_replica: replicaId })
    .update({ claim_replica: null, claim_expires_ms: null });
}

/**
 * The first delivery of WAITING requests: RUNNING, delivered now, the deadline counted from
 * now. One statement, one transaction; returns the ids it changed (others were delivered
 * before, or finished meanwhile).
 */
export async function markRequestsDelivered(
  db: Knex,
  ids: readonly string[],
  nowMs: number,
  timeoutMs: number,
): Promise<void> {
  if (ids.length === 0) return;
  await db("prescription_requests")
    .whereIn("id", ids)
    .andWhere({ status: "WAITING" })
    .whereNull("first_delivered_ms")
    .update({
      status: "RUNNING",
      first_delivered_ms: nowMs,
      deadline_ms: nowMs + timeoutMs,
      updated_ms: nowMs,
    });
}

/** Unfinished requests whose deadline passed, oldest deadline first. */
export async function listOverdueRequests(
  db: Knex,
  nowMs: number,
  limit: number,
): Promise<{ id: string; job_id: string; plugin_key: string; status: string }[]> {
  return db("prescription_requests")
    .select("id", "job_id", "plugin_key", "status")
    .whereIn("status", ["WAITING", "RUNNING"])
    .whereNotNull("deadline_ms")
    .andWhere("deadline_ms", "<=", nowMs)
    .orderBy("deadline_ms")
    .limit(limit);
}
