/**
 * Storing answers to prescription requests, on the transaction's driver connection (the hot
 * path: a part of ~1,000 cases costs a handful of statements, never one per case).
 */
import type { StoredPrescription } from "../../domain/prescriptions/part-checks.js";
import { type DriverConnection, pgQuery, sqliteStatement } from "./prepared.js";

/** What answering a request reads of it. */
export interface RequestStateRow {
  id: string;
  job_id: string;
  plugin_key: string;
  status: string;
  detail: string;
  deadline_ms: number | null;
}

/** The request, locked until the transaction ends (PostgreSQL); undefined when unknown. */
export async function lockRequest(
  conn: DriverConnection,
  id: string,
): Promise<RequestStateRow | undefined> {
  const sql = `SELECT id, job_id, plugin_key, status, detail, deadline_ms
    FROM prescription_requests WHERE id = $1`;
  if (conn.dialect === "postgres") {
    const [row] = await pgQuery<RequestStateRow>(
      conn.client,
      "tc_lock_request",
      `${sql} FOR UPDATE`,
      [id],
    );
    return row;
  }
  return sqliteStatement(conn.db, sql.replace("$1", "?")).get(id) as RequestStateRow | undefined;
}

/** The ordinals of those of `caseIds` that are cases of the job. */
export async function caseOrdinals(
  conn: DriverConnection,
  jobId: string,
  caseIds: readonly string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (caseIds.length === 0) return out;
  if (conn.dialect === "postgres") {
    const rows = await pgQuery<{ case_id: string; ordinal: number }>(
      conn.client,
      "tc_case_ordinals",
      "SELECT case_id, ordinal FROM job_cases WHERE job_id = $1 AND case_id = ANY($2::text[])",
      [jobId, caseIds],
    );
    for (const row of rows) out.set(row.case_id, Number(row.ordinal));
    return out;
  }
  const json = sqliteStatement(
    conn.db,
    `SELECT json_group_array(json_array(case_id, ordinal)) FROM job_cases
     WHERE job_id = ? AND case_id IN (SELECT value FROM json_each(?))`,
  )
    .pluck()
    .get(jobId, JSON.stringify(caseIds)) as string;
  for (const [caseId, ordinal] of JSON.parse(json) as [string, number][]) out.set(caseId, ordinal);
  return out;
}

/** The stored prescriptions of the request among `ordinals`, by ordinal. */
export async function storedPrescriptions(
  conn: DriverConnection,
  requestId: string,
  ordinals: readonly number[],
): Promise<Map<number, StoredPrescription>> {
  const out = new Map<number, StoredPrescription>();
  if (ordinals.length === 0) return out;
  let tuples: [number, string, string, string, string][];
  if (conn.dialect === "postgres") {
    const rows = await pgQuery<{
      case_ordinal: number;
      type: string;
      output_json: string;
      detail: string;
      model_json: string;
    }>(
      conn.client,
      "tc_stored_prescriptions",
      `SELECT case_ordinal, type, output_json, detail, model_json FROM prescription_results
       WHERE request_id = $1 AND case_ordinal = ANY($2::int[])`,
      [requestId, ordinals],
    );
    tuples = rows.map((r) => [r.case_ordinal, r.type, r.output_json, r.detail, r.model_json]);
  } else {
    const json = sqliteStatement(
      conn.db,
      `SELECT json_group_array(json_array(case_ordinal, type, output_json, detail, model_json))
       FROM prescription_results
       WHERE request_id = ? AND case_ordinal IN (SELECT value FROM json_each(?))`,
    )
      .pluck()
      .get(requestId, JSON.stringify(ordinals)) as string;
    tuples = JSON.parse(json) as typeof tuples;
  }
  for (const [ordinal, type, outputJson, detail, modelJson] of tuples) {
    out.set(Number(ordinal), { type, outputJson, detail, modelJson });
  }
  return out;
}

export interface NewResultRow extends StoredPrescription {
  readonly ordinal: number;
}

/**
 * Stores prescriptions of the request with one statement (rows already stored are left as
 * they are); returns how many were new.
 */
export async function insertPrescriptions(
  conn: DriverConnection,
  requestId: string,
  rows: readonly NewResultRow[],
): Promise<number> {
  if (rows.length === 0) return 0;
  if (conn.dialect === "postgres") {
    const result = await conn.client.query({
      name: "tc_insert_prescriptions",
      text: `INSERT INTO prescription_results
          (request_id, case_ordinal, type, output_json, detail, model_json)
        SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[])
        ON CONFLICT (request_id, case_ordinal) DO NOTHING`,
      values: [
        requestId,
        rows.map((r) => r.ordinal),
        rows.map((r) => r.type),
        rows.map((r) => r.outputJson),
        rows.map((r) => r.detail),
        rows.map((r) => r.modelJson),
      ],
    });
    return result.rowCount ?? 0;
  }
  // One parameter for the whole part: no limit on bound variables, one statement to prepare.
  const tuples = rows.map((r) => [r.ordinal, r.type, r.outputJson, r.detail, r.modelJson]);
  const info = sqliteStatement(
    conn.db,
    `INSERT INTO prescription_results
       (request_id, case_ordinal, type, output_json, detail, model_json)
     SELECT ?, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4
     FROM json_each(?) WHERE true
     ON CONFLICT (request_id, case_ordinal) DO NOTHING`,
  ).run(requestId, JSON.stringify(tuples));
  return info.changes;
}

export interface RequestChange {
  readonly status: string;
  readonly detail: string;
  readonly casesAdded: number;
  /** Finished: the deadline and the replica claim end. */
  readonly finished: boolean;
  /** Still open: the replica claim lasts until then (PostgreSQL); undefined: left as it is. */
  readonly claimUntilMs: number | undefined;
  readonly nowMs: number;
}

/** Applies a change of the request. */
export async function updateRequest(
  conn: DriverConnection,
  id: string,
  change: RequestChange,
): Promise<void> {
  const finished = change.finished ? 1 : 0;
  const claimUntil = change.claimUntilMs ?? null;
  if (conn.dialect === "postgres") {
    await conn.client.query({
      name: "tc_update_request",
      text: `UPDATE prescription_requests SET status = $2, detail = $3,
          cases_done = cases_done + $4, updated_ms = $7,
          deadline_ms = CASE WHEN $5::int = 1 THEN NULL ELSE deadline_ms END,
          claim_replica = CASE WHEN $5::int = 1 THEN NULL ELSE claim_replica END,
          claim_expires_ms = CASE WHEN $5::int = 1 THEN NULL
            WHEN $6::bigint IS NOT NULL AND claim_replica IS NOT NULL
              THEN GREATEST(claim_expires_ms, $6::bigint)
            ELSE claim_expires_ms END
        WHERE id = $1`,
      values: [
        id,
        change.status,
        change.detail,
        change.casesAdded,
        finished,
        claimUntil,
        change.nowMs,
      ],
    });
    return;
  }
  sqliteStatement(
    conn.db,
    `UPDATE prescription_requests SET status = ?, detail = ?, cases_done = cases_done + ?,
       updated_ms = ?,
       deadline_ms = CASE WHEN ? = 1 THEN NULL ELSE deadline_ms END,
       claim_replica = CASE WHEN ? = 1 THEN NULL ELSE claim_replica END,
       claim_expires_ms = CASE WHEN ? = 1 THEN NULL ELSE claim_expires_ms END
     WHERE id = ?`,
  ).run(
    change.status,
    change.detail,
    change.casesAdded,
    change.nowMs,
    finished,
    finished,
    finished,
    id,
  );
}

/** The job's status, locked until the transaction ends (PostgreSQL), and its requests' statuses. */
export async function lockJobWithRequests(
  conn: DriverConnection,
  jobId: string,
): Promise<{ status: string; requests: string[] } | undefined> {
  if (conn.dialect === "postgres") {
    const [job] = await pgQuery<{ status: string }>(
      conn.client,
      "tc_lock_job",
      "SELECT status FROM prescription_jobs WHERE id = $1 FOR UPDATE",
      [jobId],
    );
    if (!job) return undefined;
    const rows = await pgQuery<{ status: string }>(
      conn.client,
      "tc_job_request_statuses",
      "SELECT status FROM prescription_requests WHERE job_id = $1",
      [jobId],
    );
    return { status: job.status, requests: rows.map((r) => r.status) };
  }
  const status = sqliteStatement(conn.db, "SELECT status FROM prescription_jobs WHERE id = ?")
    .pluck()
    .get(jobId) as string | undefined;
  if (status === undefined) return undefined;
  const requests = sqliteStatement(
    conn.db,
    "SELECT status FROM prescription_requests WHERE job_id = ?",
  )
    .pluck()
    .all(jobId) as string[];
  return { status, requests };
}

/** Sets the job's status (and `finished_ms` when it is DONE). */
export async function setJobStatus(
  conn: DriverConnection,
  jobId: string,
  status: string,
  nowMs: number,
): Promise<void> {
  const finishedMs = status === "DONE" || status === "ERROR" ? nowMs : null;
  if (conn.dialect === "postgres") {
    await conn.client.query({
      name: "tc_set_job_status",
      text: `UPDATE prescription_jobs SET status = $2, updated_ms = $3,
          finished_ms = COALESCE(finished_ms, $4) WHERE id = $1`,
      values: [jobId, status, nowMs, finishedMs],
    });
    return;
  }
  sqliteStatement(
    conn.db,
    `UPDATE prescription_jobs SET status = ?, updated_ms = ?,
       finished_ms = COALESCE(finished_ms, ?) WHERE id = ?`,
  ).run(status, nowMs, finishedMs, jobId);
}
