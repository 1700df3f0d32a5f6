/**
 * Publishes this replica's plugin sessions in the shared `plugin_sessions` table and learns the
 * other replicas' online counts, once per heartbeat: ListPlugins and CreateProject then see
 * every replica's instances (at most a heartbeat old). A dead replica's sessions stop counting
 * when its heartbeat ages past the TTL. Only used when several replicas can exist (PostgreSQL).
 */
import type { Knex } from "knex";
import {
  countOnlineSessionsElsewhere,
  deleteSessions,
  insertSessions,
  type SessionRow,
} from "../../store/sql/replicas.js";
import type { PluginSessions } from "../plugins/plugin-sessions.js";
import type { Replica } from "./replica.js";

/**
 * Every this many syncs, every session is written again: rows removed meanwhile (this replica
 * looked dead for ten TTLs, e.g. through a long database outage) come back.
 */
const rewriteEvery = 8;

export interface SessionDirectoryDeps {
  readonly db: Knex;
  readonly replica: Replica;
  readonly sessions: PluginSessions;
  /** The replicas' heartbeat TTL: how stale another replica's rows may be. */
  readonly ttlMs: number;
}

export class SessionDirectory {
  /** Session id → last_answer_ms as stored. */
  private readonly stored = new Map<number, number>();
  private syncs = 0;

  constructor(private readonly deps: SessionDirectoryDeps) {}

  /** Writes what changed since the last call, then reads the other replicas' counts. */
  async sync(nowMs = Date.now()): Promise<void> {
    const { db, replica, sessions, ttlMs } = this.deps;
    const current = sessions.all();
    const seen = new Set(current.map((session) => session.id));
    const gone = [...this.stored.keys()].filter((id) => !seen.has(id));
    if (gone.length > 0) {
      await deleteSessions(db, replica.id, gone);
      for (const id of gone) this.stored.delete(id);
    }
    const rewrite = ++this.syncs % rewriteEvery === 0;
    const changed: SessionRow[] = current
      .filter((session) => rewrite || this.stored.get(session.id) !== session.lastAnswerMs)
      .map((session) => ({
        session_id: session.id,
        plugin_key: session.key,
        // Only a new row takes it: an existing one keeps its connected_ms (see insertSessions).
        connected_ms: nowMs,
        last_answer_ms: session.lastAnswerMs,
      }));
    if (changed.length > 0) {
      await insertSessions(db, replica.id, changed);
      for (const row of changed) this.stored.set(row.session_id, row.last_answer_ms);
    }
    // Remote rows lag by up to one heartbeat: widen the online window by as much.
    const onlineCutoffMs = nowMs - sessions.onlineWindowMs - ttlMs;
    sessions.setRemoteOnline(
      await countOnlineSessionsElsewhere(db, replica.id, nowMs - ttlMs, onlineCutoffMs),
    );
  }
}
