/**
 * Sends TrainingData to plugin instances, at least once: a new assignment goes to one online
 * instance of its key at once, and every instance that registers is sent every assignment of
 * its key that is still WAITING (so nothing is lost while a plugin was offline or the core was
 * down). Duplicates are harmless: reports are idempotent.
 */
import type { Knex } from "knex";
import type { Logger } from "../logger.js";
import { listWaitingDeliveries } from "../store/sql/assignments.js";
import type { ChangeFeed, Delivery } from "./change-feed.js";
import type { PluginSession, PluginSessions } from "./plugin-sessions.js";
import { trainingDataOf } from "./training-data.js";

const replayPageSize = 500;

export class Dispatcher {
  private readonly unsubscribe: () => void;

  constructor(
    private readonly db: Knex,
    private readonly sessions: PluginSessions,
    feed: ChangeFeed,
    private readonly logger: Logger,
  ) {
    this.unsubscribe = feed.onAssignmentsCreated((deliveries) => this.deliverNew(deliveries));
  }

  stop(): void {
    this.unsubscribe();
  }

  private deliverNew(deliveries: readonly Delivery[]): void {
    const nowMs = Date.now();
    for (const { key, message } of deliveries) {
      const session = this.sessions.pick(key, nowMs);
      if (!session) {
        this.logger.info(
          { projectId: message.projectId, pluginId: message.pluginId, key },
          "no instance connected; TrainingData waits for one",
        );
        continue;
      }
      session.sendTrainingData(message).catch((error: unknown) => {
        this.logger.warn({ err: error, pluginId: message.pluginId, key }, "delivery failed");
      });
    }
  }

  /** Sends a newly registered instance every WAITING assignment of its key. */
  async replayWaiting(session: PluginSession): Promise<number> {
    let afterId = 0;
    let sent = 0;
    for (;;) {
      const rows = await listWaitingDeliveries(this.db, session.key, replayPageSize, afterId);
      for (const row of rows) {
        await session.sendTrainingData(trainingDataOf(row, row.training_blob_id));
        sent++;
      }
      const last = rows.at(-1);
      if (!last || rows.length < replayPageSize) return sent;
      afterId = last.id;
    }
  }
}
