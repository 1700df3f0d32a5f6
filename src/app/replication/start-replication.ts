/**
 * Joining the other replicas on PostgreSQL: change notifications both ways (LISTEN/NOTIFY),
 * this replica's plugin sessions published with its heartbeat, the takeover duties, and the
 * leader lock of the deadline sweeps. On SQLite there are no others: `singleReplica`.
 */

import type { Knex } from "knex";
import type { Logger } from "../../logger.js";
import { PgListener } from "../../store/pg-listener.js";
import { deleteOrphanedBlobs } from "../../store/sql/claims.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import type { CoreMetrics } from "../metrics/core-metrics.js";
import type { PluginSessions } from "../plugins/plugin-sessions.js";
import type { PreprocessingRunner } from "../preprocessing/runner.js";
import { ChangeFeedBridge } from "./change-feed-bridge.js";
import type { Replica } from "./replica.js";
import { SessionDirectory } from "./session-directory.js";

/** Advisory lock key of the deadline sweeps (any constant distinct from other applications'). */
const sweepLockKey = 0x7c0e_5eed;
const notificationChannel = "training_core";

export interface ReplicationDeps {
  /** The PostgreSQL URL: the notification connection is one of its own, outside the pool. */
  readonly databaseUrl: string;
  readonly db: Knex;
  readonly feed: ChangeFeed;
  readonly logger: Logger;
  readonly metrics: CoreMetrics;
  readonly replica: Replica;
  readonly sessions: PluginSessions;
  readonly dispatcher: Dispatcher;
  readonly runner: PreprocessingRunner;
}

/** This replica among the others, as the core starts and stops it. */
export interface Replication {
  /** True while this replica leads the deadline sweeps (the others would find nothing). */
  readonly leadsSweeps: () => Promise<boolean>;
  /** Stops telling the others about changes made here (shutdown, before the servers drain). */
  stopNotifying(): void;
  /** Closes the notification connection (shutdown, once this replica has left). */
  stopListening(): Promise<void>;
}

/** SQLite: the only replica there can be; it leads every sweep and has no one to tell. */
export const singleReplica: Replication = {
  leadsSweeps: async () => true,
  stopNotifying() {},
  stopListening: async () => {},
};

/**
 * PostgreSQL: joins the other replicas: notifications both ways, this replica's plugin
 * sessions published with every heartbeat, and the leader lock of the deadline sweeps.
 * Null when the notification connection cannot be opened.
 */
export async function startReplication(deps: ReplicationDeps): Promise<Replication | null> {
  const { db, feed, logger, replica, dispatcher, runner } = deps;
  const bridge = new ChangeFeedBridge({
    feed,
    replicaId: replica.id,
    logger,
    metrics: deps.metrics,
    leasedHere: (membershipId) => dispatcher.holdsLease(membershipId),
    notify: async (payload) => {
      await db.raw("SELECT pg_notify(?, ?)", [notificationChannel, payload]);
    },
  });
  const resync = () => {
    feed.everyProjectChanged();
    feed.everyJobChanged();
    feed.everyStreamChanged();
    void dispatcher.sweep();
    void runner.resumePending().catch(() => {});
  };
  const listener = new PgListener({
    url: deps.databaseUrl,
    channel: notificationChannel,
    logger,
    onNotification: (payload) => bridge.received(payload),
    onGap: resync,
  });
  try {
    await listener.start();
  } catch (error) {
    logger.error({ err: error }, "could not open the notification connection");
    bridge.stop();
    return null;
  }
  const directory = new SessionDirectory({
    db,
    replica,
    sessions: deps.sessions,
    ttlMs: replica.ttlMs,
  });
  replica.addDuty(() => directory.sync());
  // What other replicas gave back or left behind when they died, and what a lost
  // notification hid: claims, preprocessing, and files half written by a dead replica.
  replica.addDuty(() => dispatcher.sweep());
  replica.addDuty(() => runner.resumePending());
  replica.addDuty(async () => {
    await deleteOrphanedBlobs(db, replica.claimContext(), false);
  });
  // Watchers re-read once per heartbeat: a notification lost on the way costs at most that.
  replica.addDuty(async () => {
    feed.everyProjectChanged();
    feed.everyJobChanged();
    feed.everyStreamChanged();
  });
  return {
    leadsSweeps: () => listener.tryLock(sweepLockKey),
    stopNotifying: () => bridge.stop(),
    stopListening: () => listener.stop(),
  };
}
