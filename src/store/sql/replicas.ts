import type { Knex } from "knex";

export interface ReplicaRow {
  id: string;
  address: string;
  started_ms: number;
  heartbeat_ms: number;
}

export interface SessionRow {
  readonly session_id: number;
  readonly plugin_key: string;
  readonly connected_ms: number;
  readonly last_answer_ms: number;
}

/** Rows per statement when writing sessions in bulk (well under every driver's bind limit). */
const bulkSize = 500;

/** Stores this replica's heartbeat, registering it again if its row was removed meanwhile. */
export async function beatReplica(db: Knex, row: ReplicaRow): Promise<void> {
  await db("replicas")
    .insert(row)
    .onConflict("id")
    .merge({ heartbeat_ms: row.heartbeat_ms, address: row.address });
}

/** Replicas whose heartbeat is newer than `cutoffMs`, oldest first. */
export async function listLiveReplicas(db: Knex, cutoffMs: number): Promise<ReplicaRow[]> {
  return db<ReplicaRow>("replicas")
    .where("heartbeat_ms", ">", cutoffMs)
    .orderBy([{ column: "started_ms" }, { column: "id" }]);
}

/** Removes a replica and its sessions (shutdown, or long dead). */
export async function deleteReplica(db: Knex, id: string): Promise<void> {
  await db("plugin_sessions").where({ replica_id: id }).delete();
  await db("replicas").where({ id }).delete();
}

/** Removes replicas (and their sessions) whose last heartbeat is older than `cutoffMs`. */
export async function deleteDeadReplicas(db: Knex, cutoffMs: number): Promise<number> {
  const dead = db("replicas").select("id").where("heartbeat_ms", "<=", cutoffMs);
  await db("plugin_sessions").whereIn("replica_id", dead).delete();
  return db("replicas").where("heartbeat_ms", "<=", cutoffMs).delete();
}

export async function insertSessions(
  db: Knex,
  replicaId: string,
  sessions: readonly SessionRow[],
): Promise<void> {
  for (let i = 0; i < sessions.length; i += bulkSize) {
    const rows = sessions.slice(i, i + bulkSize).map((s) => ({ ...s, replica_id: replicaId }));
    await db("plugin_sessions")
      .insert(rows)
      .onConflict(["replica_id", "session_id"])
      .merge(["plugin_key", "last_answer_ms"]);
  }
}

export async function deleteSessions(
  db: Knex,
  replicaId: string,
  sessionIds: readonly number[],
): Promise<void> {
  for (let i = 0; i < sessionIds.length; i += bulkSize) {
    await db("plugin_sessions")
      .where({ replica_id: replicaId })
      .whereIn("session_id", sessionIds.slice(i, i + bulkSize))
      .delete();
  }
}

/** Online instances per plugin key held by live replicas other than `replicaId`. */
export async function countOnlineSessionsElsewhere(
  db: Knex,
  replicaId: string,
  liveCutoffMs: number,
  onlineCutoffMs: number,
): Promise<Map<string, number>> {
  const rows: { plugin_key: string; instances: number | string }[] = await db("plugin_sessions")
    .join("replicas", "replicas.id", "plugin_sessions.replica_id")
    .select("plugin_sessions.plugin_key")
    .count({ instances: "*" })
    .whereNot("plugin_sessions.replica_id", replicaId)
    .andWhere("replicas.heartbeat_ms", ">", liveCutoffMs)
    .andWhere("plugin_sessions.last_answer_ms", ">=", onlineCutoffMs)
    .groupBy("plugin_sessions.plugin_key");
  return new Map(rows.map((row) => [row.plugin_key, Number(row.instances)]));
}
