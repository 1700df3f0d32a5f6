/**
 * Live events and their requests as the consumer side sees them: stored by PostEvents, read
 * by WatchPrescriptions in id order, deleted by ClearEvents and retention.
 */
import type { Knex } from "knex";
import { driverOf, pgQuery, sqliteStatement, withPooledConnection } from "./prepared.js";

export interface NewStreamEvent {
  readonly project_id: number;
  readonly case_id: string;
  readonly attributes_json: string;
  readonly normalized_json: string;
  readonly time_ms: number;
  readonly case_completed: boolean;
  readonly request_id: string;
  readonly pending: number;
  readonly posted_ms: number;
}

export interface StreamEventRow extends NewStreamEvent {
  readonly id: number;
}

export interface NewStreamRequest {
  readonly id: string;
  readonly event_id: number;
  readonly project_id: number;
  readonly membership_id: number;
  readonly plugin_key: string;
  readonly case_id: string;
  readonly status: string;
  readonly deadline_ms: number | null;
  readonly created_ms: number;
  readonly updated_ms: number;
}

/** A request with its answer, as a reader shows it. */
export interface StreamResultRow {
  readonly id: string;
  readonly event_id: number;
  readonly plugin_key: string;
  readonly status: string;
  readonly detail: string;
  readonly type: string | null;
  readonly output_json: string | null;
  readonly result_detail: string | null;
  readonly model_json: string | null;
}

/** The ids of the events a PostEvents call with this request_id stored, in order. */
export async function eventIdsOfPost(
  trx: Knex,
  projectId: number,
  requestId: string,
): Promise<number[]> {
  const rows: { id: number | string }[] = await trx("stream_events")
    .select("id")
    .where({ project_id: projectId, request_id: requestId })
    .orderBy("id");
  return rows.map((row) => Number(row.id));
}

/**
 * Stores events in one statement; their ids in the rows' order (ids are given in VALUES order;
 * the caller holds the project's lock, so no other call adds events of the project meanwhile).
 */
export async function insertStreamEvents(
  trx: Knex.Transaction,
  rows: readonly NewStreamEvent[],
): Promise<number[]> {
  const conn = await driverOf(trx);
  if (conn.dialect === "sqlite") {
    // One prepared statement run per row: each run gives its row id, and costs a few µs where
    // the query builder's multi-row INSERT costs that per value.
    const insert = sqliteStatement(
      conn.db,
      `INSERT INTO stream_events (project_id, case_id, attributes_json, normalized_json, time_ms,
         case_completed, request_id, pending, posted_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return rows.map((row) =>
      Number(
        insert.run(
          row.project_id,
          row.case_id,
          row.attributes_json,
          row.normalized_json,
          row.time_ms,
          row.case_completed ? 1 : 0,
          row.request_id,
          row.pending,
          row.posted_ms,
        ).lastInsertRowid,
      ),
    );
  }
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += 200) {
    const inserted = await trx("stream_events")
      .insert(rows.slice(i, i + 200))
      .returning("id");
    ids.push(
      ...inserted.map((row: { id: number | string }) => Number(row.id)).sort((a, b) => a - b),
    );
  }
  return ids;
}

export async function insertStreamRequests(
  trx: Knex.Transaction,
  rows: readonly NewStreamRequest[],
): Promise<void> {
  const conn = await driverOf(trx);
  if (conn.dialect === "sqlite") {
    const insert = sqliteStatement(
      conn.db,
      `INSERT INTO stream_requests (id, event_id, project_id, membership_id, plugin_key, case_id,
         status, deadline_ms, created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const row of rows) {
      insert.run(
        row.id,
        row.event_id,
        row.project_id,
        row.membership_id,
        row.plugin_key,
        row.case_id,
        row.status,
        row.deadline_ms,
        row.created_ms,
        row.updated_ms,
      );
    }
    return;
  }
  for (let i = 0; i < rows.length; i += 500) {
    await trx("stream_requests").insert(rows.slice(i, i + 500));
  }
}

/** Complete events (every request finished) and their requests, as a reader shows them. */
export interface CompleteEvents {
  readonly events: StreamEventRow[];
  /** The requests of `events`, by event id then plugin key. */
  readonly results: StreamResultRow[];
}

const eventColumns = `id, project_id, case_id, attributes_json, normalized_json, time_ms,
  case_completed, request_id, pending, posted_ms`;
const resultColumns = `id, event_id, plugin_key, status, detail, type, output_json,
  result_detail, model_json`;
/** The events after $2 up to (not including) the first one still pending, at most $3. */
const completeEventsSql = `SELECT ${eventColumns} FROM stream_events
  WHERE project_id = $1 AND id > $2 AND id < COALESCE((SELECT MIN(id) FROM stream_events
    WHERE project_id = $1 AND id > $2 AND pending > 0), 9223372036854775807)
  ORDER BY id LIMIT $3`;
const resultsSql = `SELECT ${resultColumns} FROM stream_requests
  WHERE event_id > $2 AND event_id <= $3 AND project_id = $1 ORDER BY event_id, plugin_key`;

/**
 * Up to `limit` events of a project after `afterId`, in id order, up to the first one not
 * complete, with their requests: two statements (prepared) whatever the count.
 */
export async function readCompleteEventsAfter(
  db: Knex,
  projectId: number,
  afterId: number,
  limit: number,
): Promise<CompleteEvents> {
  const found = await withPooledConnection(db, async (conn) => {
    if (conn.dialect === "postgres") {
      const events = await pgQuery<StreamEventRow>(
        conn.client,
        "tc_complete_stream_events",
        completeEventsSql,
        [projectId, afterId, limit],
      );
      const last = events.at(-1);
      const results = last
        ? await pgQuery<StreamResultRow>(conn.client, "tc_stream_results", resultsSql, [
            projectId,
            afterId,
            last.id,
          ])
        : [];
      return { events, results };
    }
    const events = sqliteStatement(
      conn.db,
      completeEventsSql
        .replace(/\$(\d)/g, "@p$1")
        .replace("LIMIT @p3", "LIMIT CAST(@p3 AS INTEGER)"),
    ).all({ p1: projectId, p2: afterId, p3: limit }) as StreamEventRow[];
    const last = events.at(-1);
    const results = last
      ? (sqliteStatement(conn.db, resultsSql.replace(/\$(\d)/g, "@p$1")).all({
          p1: projectId,
          p2: afterId,
          p3: last.id,
        }) as StreamResultRow[])
      : [];
    return { events, results };
  });
  return {
    events: found.events.map((row) => ({
      ...row,
      id: Number(row.id),
      project_id: Number(row.project_id),
      time_ms: Number(row.time_ms),
      posted_ms: Number(row.posted_ms),
      pending: Number(row.pending),
      case_completed: Boolean(row.case_completed),
    })),
    results: found.results.map((row) => ({ ...row, event_id: Number(row.event_id) })),
  };
}

/** The oldest event id kept for a project; undefined when none is. */
export async function oldestEventId(db: Knex, projectId: number): Promise<number | undefined> {
  const row = await db("stream_events").where({ project_id: projectId }).min({ id: "id" }).first();
  const id = (row as { id: number | string | null } | undefined)?.id;
  return id === null || id === undefined ? undefined : Number(id);
}

/** Deletes a project's events (and, by cascade, their requests) up to `upToId` (all: none). */
export async function deleteEvents(trx: Knex, projectId: number, upToId?: number): Promise<number> {
  const query = trx("stream_events").where({ project_id: projectId });
  if (upToId !== undefined) query.andWhere("id", "<=", upToId);
  return query.delete();
}

/** A project's retention state: events kept, newest id deleted (0: none). */
export async function streamProjectState(
  db: Knex,
  projectId: number,
): Promise<{ kept: number; deletedThrough: number }> {
  const row = await db("stream_projects").where({ project_id: projectId }).first();
  return {
    kept: Number(row?.kept ?? 0),
    deletedThrough: Number(row?.deleted_through ?? 0),
  };
}

/**
 * Counts `added` new events of a project (its row locked by the caller) and deletes the oldest
 * beyond `retention`; returns how many were deleted.
 */
export async function applyRetention(
  trx: Knex,
  projectId: number,
  added: number,
  retention: number,
): Promise<number> {
  const state = await streamProjectState(trx, projectId);
  const kept = state.kept + added;
  const excess = kept - retention;
  let deletedThrough = state.deletedThrough;
  if (excess > 0) {
    const cut = await trx("stream_events")
      .select("id")
      .where({ project_id: projectId })
      .orderBy("id")
      .offset(excess - 1)
      .first();
    if (cut) {
      deletedThrough = Number(cut.id);
      await trx("stream_requests")
        .where({ project_id: projectId })
        .andWhere("event_id", "<=", deletedThrough)
        .delete();
      await deleteEvents(trx, projectId, deletedThrough);
    }
  }
  const row = {
    project_id: projectId,
    kept: Math.min(kept, retention),
    deleted_through: deletedThrough,
  };
  await trx("stream_projects").insert(row).onConflict("project_id").merge();
  return Math.max(0, excess);
}

/** After ClearEvents: nothing kept, everything up to `throughId` deleted. */
export async function recordCleared(trx: Knex, projectId: number, throughId: number) {
  const state = await streamProjectState(trx, projectId);
  const row = {
    project_id: projectId,
    kept: 0,
    deleted_through: Math.max(state.deletedThrough, throughId),
  };
  await trx("stream_projects").insert(row).onConflict("project_id").merge();
}
