/**
 * Handing live (stream) prescription requests out, like dataset requests (see
 * `prescription-deliveries.ts`), with one more condition: a request is ready only when no
 * earlier request of the same membership and case is still open, so an instance gets a case's
 * next event only after the previous one was answered (or failed, or timed out).
 */
import type { Knex } from "knex";
import type { ClaimContext } from "./claims.js";
import {
  type DriverConnection,
  pgQuery,
  sqliteStatement,
  withSqliteConnection,
} from "./prepared.js";

/** What a PrescriptionRequest with a case prefix needs of a stream request. */
export interface StreamDeliveryRow {
  id: string;
  event_id: number;
  project_id: number;
  membership_id: number;
  case_id: string;
  model_name: string;
  parameters_json: string;
  additional_info_json: string;
  effective_definition_json: string | null;
  first_delivered_ms: number | null;
  /** The case's normalized events up to this request's event, in time order (JSON objects). */
  prefix: string[];
}

/** Besides its status: a request is ready when before its deadline and first of its case. */
const readyRest = `(r.deadline_ms IS NULL OR r.deadline_ms > :now)
  AND NOT EXISTS (SELECT 1 FROM stream_requests AS o WHERE o.membership_id = r.membership_id
    AND o.case_id = r.case_id AND o.event_id < r.event_id AND o.status IN ('WAITING', 'RUNNING'))`;

/**
 * The WAITING and the RUNNING (their instance gone) requests of a key that are ready,
 * each read in event order from the (plugin_key, status, event_id) index and cut at the limit,
 * then merged, so a round reads about as many rows as it hands out.
 */
const sqliteReadySql = `SELECT id FROM (
    SELECT id, event_id FROM (SELECT r.id, r.event_id FROM stream_requests AS r
      WHERE r.plugin_key = :key AND r.status = 'WAITING' AND ${readyRest}
      ORDER BY r.event_id LIMIT CAST(:limit AS INTEGER))
    UNION ALL
    SELECT id, event_id FROM (SELECT r.id, r.event_id FROM stream_requests AS r
      WHERE r.plugin_key = :key AND r.status = 'RUNNING' AND ${readyRest}
      ORDER BY r.event_id LIMIT CAST(:limit AS INTEGER)))
  ORDER BY event_id, id LIMIT CAST(:limit AS INTEGER)`;

const columns = `r.id, r.event_id, r.project_id, r.membership_id, r.case_id, m.model_name,
  m.parameters_json, m.additional_info_json, p.effective_definition_json, r.first_delivered_ms`;

type Row = Omit<StreamDeliveryRow, "prefix">;

/**
 * Up to `count` ready requests of `key`, oldest event first, other than `held`, with their case
 * prefixes. One replica (SQLite), on one pooled connection through the driver: the ids first
 * (index only), then the rows and the prefixes of their cases, three prepared statements
 * whatever the count. (`LIMIT CAST(? AS INTEGER)`: see `readNextWaitingDeliveries`.)
 */
export function readNextStreamDeliveries(
  db: Knex,
  key: string,
  count: number,
  held: readonly string[],
  nowMs: number,
): Promise<StreamDeliveryRow[]> {
  if (count <= 0) return Promise.resolve([]);
  return withSqliteConnection(db, (conn) => {
    const prescribes = sqliteStatement(conn, "SELECT prescribes FROM plugins WHERE key = ?")
      .pluck()
      .get(key);
    if (!prescribes) return [];
    const skip = new Set(held);
    const ids = (
      sqliteStatement(conn, sqliteReadySql)
        .pluck()
        .all({ key, now: nowMs, limit: count + skip.size }) as string[]
    )
      .filter((id) => !skip.has(id))
      .slice(0, count);
    if (ids.length === 0) return [];
    const rows = JSON.parse(
      sqliteStatement(
        conn,
        `SELECT json_group_array(json_object('id', r.id, 'event_id', r.event_id,
           'project_id', r.project_id, 'membership_id', r.membership_id, 'case_id', r.case_id,
           'model_name', m.model_name, 'parameters_json', m.parameters_json,
           'additional_info_json', m.additional_info_json,
           'effective_definition_json', p.effective_definition_json,
           'first_delivered_ms', r.first_delivered_ms))
         FROM stream_requests AS r JOIN memberships AS m ON m.id = r.membership_id
         JOIN projects AS p ON p.id = r.project_id
         WHERE r.id IN (SELECT value FROM json_each(?))`,
      )
        .pluck()
        .get(JSON.stringify(ids)) as string,
    ) as Row[];
    rows.sort((a, b) => a.event_id - b.event_id || (a.id < b.id ? -1 : 1));
    const prefixes = sqliteStatement(
      conn,
      `SELECT json_group_array(json_array(id, case_id, normalized_json)) FROM (
         SELECT id, case_id, normalized_json FROM stream_events
         WHERE project_id = ? AND case_id IN (SELECT value FROM json_each(?))
         ORDER BY time_ms, id)`,
    ).pluck();
    const found: EventOfCase[] = [];
    for (const [projectId, cases] of casesByProject(rows)) {
      const json = prefixes.get(projectId, JSON.stringify([...cases])) as string;
      for (const [id, caseId, normalized] of JSON.parse(json) as [number, string, string][]) {
        found.push({ projectId, id, caseId, json: normalized });
      }
    }
    return withPrefixes(rows, found);
  });
}

/** Claims up to `count` ready requests of `key` for this replica until `untilMs`. PostgreSQL. */
export async function claimNextStreamRequests(
  db: Knex,
  ctx: ClaimContext,
  key: string,
  count: number,
  held: readonly string[],
  untilMs: number,
): Promise<StreamDeliveryRow[]> {
  if (count <= 0) return [];
  // As on SQLite, the WAITING and the RUNNING requests are each read in event order from the
  // (plugin_key, status, event_id) index, cut at the limit, then merged.
  const branch = (status: string) => `SELECT r.id, r.event_id FROM stream_requests AS r
       WHERE r.plugin_key = :key AND r.status = '${status}'
         AND EXISTS (SELECT 1 FROM plugins WHERE key = :key AND prescribes)
         AND ${readyRest} AND NOT (r.id = ANY(CAST(:held AS text[])))
         AND (r.claim_replica IS NULL OR r.claim_replica = :replica OR r.claim_expires_ms <= :now
           OR r.claim_replica NOT IN (SELECT id FROM replicas WHERE heartbeat_ms > :cutoff))
       ORDER BY r.event_id LIMIT :limit
       FOR UPDATE OF r SKIP LOCKED`;
  const result = (await db.raw(
    `WITH waiting AS MATERIALIZED (${branch("WAITING")}),
       running AS MATERIALIZED (${branch("RUNNING")}),
       picked AS (SELECT id FROM (SELECT * FROM waiting UNION ALL SELECT * FROM running) AS u
         ORDER BY event_id, id LIMIT :limit)
     UPDATE stream_requests AS r SET claim_replica = :replica, claim_expires_ms = :until
     FROM picked, memberships AS m, projects AS p
     WHERE r.id = picked.id AND m.id = r.membership_id AND p.id = r.project_id
     RETURNING ${columns}`,
    {
      key,
      now: ctx.nowMs,
      held: [...held],
      replica: ctx.replicaId,
      cutoff: ctx.liveCutoffMs,
      limit: count,
      until: untilMs,
    },
  )) as { rows: Row[] };
  const rows = result.rows.sort((a, b) => Number(a.event_id) - Number(b.event_id));
  const found: EventOfCase[] = [];
  for (const [projectId, cases] of casesByProject(rows)) {
    const events: { id: number | string; case_id: string; normalized_json: string }[] = await db(
      "stream_events",
    )
      .select("id", "case_id", "normalized_json")
      .where({ project_id: projectId })
      .whereIn("case_id", [...cases])
      .orderBy([
        { column: "time_ms", order: "asc" },
        { column: "id", order: "asc" },
      ]);
    for (const event of events) {
      found.push({
        projectId,
        id: Number(event.id),
        caseId: event.case_id,
        json: event.normalized_json,
      });
    }
  }
  return withPrefixes(rows, found);
}

/** Ends this replica's claims on the given requests (their holder went away). */
export async function releaseStreamRequests(
  db: Knex,
  replicaId: string | undefined,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  const query = db("stream_requests").whereIn("id", ids);
  if (replicaId !== undefined) query.andWhere({ claim_replica: replicaId });
  await query.update({ claim_replica: null, claim_expires_ms: null });
}

const markSql = `UPDATE stream_requests SET status = 'RUNNING', first_delivered_ms = $1,
  deadline_ms = $2, updated_ms = $1
  WHERE id IN (SELECT value FROM json_each($3)) AND status = 'WAITING' AND first_delivered_ms IS NULL`;

/**
 * The first delivery of WAITING requests: RUNNING, the deadline counted from now; one
 * statement, in the caller's transaction.
 */
export async function markStreamRequestsDelivered(
  conn: DriverConnection,
  ids: readonly string[],
  nowMs: number,
  timeoutMs: number,
): Promise<void> {
  if (ids.length === 0) return;
  if (conn.dialect === "postgres") {
    // `= ANY` of an array, not a set from JSON: the planner then seeks each id in the index.
    await pgQuery(
      conn.client,
      "tc_mark_stream_delivered",
      markSql.replace("IN (SELECT value FROM json_each($3))", "= ANY($3::text[])"),
      [nowMs, nowMs + timeoutMs, ids],
    );
    return;
  }
  const values = [nowMs, nowMs + timeoutMs, JSON.stringify(ids)];
  sqliteStatement(conn.db, markSql.replace(/\$(\d)/g, "@p$1")).run({
    p1: values[0],
    p2: values[1],
    p3: values[2],
  });
}

/** Unfinished stream requests whose deadline passed, oldest deadline first. */
export function listOverdueStreamRequests(
  db: Knex,
  nowMs: number,
  limit: number,
): Promise<{ id: string; event_id: number; plugin_key: string }[]> {
  return db("stream_requests")
    .select("id", "event_id", "plugin_key")
    .whereIn("status", ["WAITING", "RUNNING"])
    .whereNotNull("deadline_ms")
    .andWhere("deadline_ms", "<=", nowMs)
    .orderBy("deadline_ms")
    .limit(limit);
}

interface EventOfCase {
  readonly projectId: number;
  readonly id: number;
  readonly caseId: string;
  readonly json: string;
}

function casesByProject(rows: readonly Row[]): Map<number, Set<string>> {
  const byProject = new Map<number, Set<string>>();
  for (const row of rows) {
    const projectId = Number(row.project_id);
    const cases = byProject.get(projectId) ?? new Set<string>();
    cases.add(row.case_id);
    byProject.set(projectId, cases);
  }
  return byProject;
}

/** The rows with their case prefixes, from the events of their cases (in time order). */
function withPrefixes(rows: readonly Row[], found: readonly EventOfCase[]): StreamDeliveryRow[] {
  const events = new Map<string, EventOfCase[]>();
  for (const event of found) {
    const key = `${event.projectId}\u0000${event.caseId}`;
    const list = events.get(key);
    if (list) list.push(event);
    else events.set(key, [event]);
  }
  return rows.map((row) => {
    const eventId = Number(row.event_id);
    const ofCase = events.get(`${Number(row.project_id)}\u0000${row.case_id}`) ?? [];
    return {
      ...row,
      event_id: eventId,
      project_id: Number(row.project_id),
      membership_id: Number(row.membership_id),
      first_delivered_ms: row.first_delivered_ms === null ? null : Number(row.first_delivered_ms),
      prefix: ofCase.filter((event) => event.id <= eventId).map((event) => event.json),
    };
  });
}
