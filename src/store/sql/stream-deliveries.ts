/**
 * Handing live (stream) prescription requests out, like dataset requests (see
 * `prescription-deliveries.ts`), with one more condition: a request is ready only when no
 * earlier request of the same membership and case is still open, so an instance gets a case's
 * next event only after the previous one was answered (or failed, or timed out).
 */
import type { Knex } from "knex";
import type { ClaimContext } from "./claims.js";

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

const ready = `r.status IN ('WAITING', 'RUNNING') AND pl.prescribes
  AND (r.deadline_ms IS NULL OR r.deadline_ms > :now)
  AND NOT EXISTS (SELECT 1 FROM stream_requests AS o WHERE o.membership_id = r.membership_id
    AND o.case_id = r.case_id AND o.event_id < r.event_id AND o.status IN ('WAITING', 'RUNNING'))`;

const columns = `r.id, r.event_id, r.project_id, r.membership_id, r.case_id, m.model_name,
  m.parameters_json, m.additional_info_json, p.effective_definition_json, r.first_delivered_ms`;

type Row = Omit<StreamDeliveryRow, "prefix">;

/** Up to `count` ready requests of `key`, oldest event first, other than `held`. One replica. */
export async function readNextStreamDeliveries(
  db: Knex,
  key: string,
  count: number,
  held: readonly string[],
  nowMs: number,
): Promise<StreamDeliveryRow[]> {
  if (count <= 0) return [];
  const skip = new Set(held);
  const ids = (
    (await db.raw(
      `SELECT r.id FROM stream_requests AS r JOIN plugins AS pl ON pl.key = r.plugin_key
       WHERE r.plugin_key = :key AND ${ready} ORDER BY r.event_id, r.id LIMIT :limit`,
      { key, now: nowMs, limit: count + skip.size },
    )) as { id: string }[]
  )
    .map((row) => row.id)
    .filter((id) => !skip.has(id))
    .slice(0, count);
  if (ids.length === 0) return [];
  const rows: Row[] = await db("stream_requests as r")
    .join("memberships as m", "m.id", "r.membership_id")
    .join("projects as p", "p.id", "r.project_id")
    .whereIn("r.id", ids)
    .orderBy("r.event_id")
    .select(db.raw(columns));
  return withPrefixes(db, rows);
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
  const result = (await db.raw(
    `WITH picked AS MATERIALIZED (
       SELECT r.id FROM stream_requests AS r JOIN plugins AS pl ON pl.key = r.plugin_key
       WHERE r.plugin_key = :key AND ${ready} AND NOT (r.id = ANY(CAST(:held AS text[])))
         AND (r.claim_replica IS NULL OR r.claim_replica = :replica OR r.claim_expires_ms <= :now
           OR r.claim_replica NOT IN (SELECT id FROM replicas WHERE heartbeat_ms > :cutoff))
       ORDER BY r.event_id, r.id LIMIT :limit
       FOR UPDATE OF r SKIP LOCKED)
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
  return withPrefixes(db, rows);
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

/** The first delivery of WAITING requests: RUNNING, the deadline counted from now. */
export async function markStreamRequestsDelivered(
  db: Knex,
  ids: readonly string[],
  nowMs: number,
  timeoutMs: number,
): Promise<void> {
  if (ids.length === 0) return;
  await db("stream_requests")
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

/** The rows with their case prefixes: one query for every case of the batch. */
async function withPrefixes(db: Knex, rows: readonly Row[]): Promise<StreamDeliveryRow[]> {
  const byProject = new Map<number, Set<string>>();
  for (const row of rows) {
    const projectId = Number(row.project_id);
    const cases = byProject.get(projectId) ?? new Set<string>();
    cases.add(row.case_id);
    byProject.set(projectId, cases);
  }
  const events = new Map<string, { id: number; json: string }[]>();
  for (const [projectId, cases] of byProject) {
    const found: { id: number | string; case_id: string; normalized_json: string }[] = await db(
      "stream_events",
    )
      .select("id", "case_id", "normalized_json")
      .where({ project_id: projectId })
      .whereIn("case_id", [...cases])
      .orderBy([
        { column: "time_ms", order: "asc" },
        { column: "id", order: "asc" },
      ]);
    for (const event of found) {
      const key = `${projectId}\u0000${event.case_id}`;
      const list = events.get(key) ?? [];
      list.push({ id: Number(event.id), json: event.normalized_json });
      events.set(key, list);
    }
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
