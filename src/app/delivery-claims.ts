/**
 * Which WAITING assignments this replica may hand out. With one replica (SQLite) that is all
 * of them and the leases live in memory only (see leases.ts); with several (PostgreSQL) an
 * assignment is first leased to this replica in the database, so no two replicas send it to
 * their instances at once, and a dead replica's leases lapse with its heartbeat.
 */
import type { Knex } from "knex";
import {
  listWaitingIds,
  readWaitingDeliveries,
  type WaitingDeliveryRow,
} from "../store/sql/assignments.js";
import {
  type ClaimContext,
  leaseDeliveries,
  listDeliverableAssignments,
  releaseAssignments,
} from "../store/sql/claims.js";

export interface DeliveryClaims {
  /** Ids of WAITING assignments of `key` this replica may lease, oldest first, after `afterId`. */
  deliverable(key: string, limit: number, afterId: number): Promise<number[]>;
  /**
   * Leases assignments to this replica until `untilMs`: those it got, still WAITING, with what
   * their TrainingData needs, in the order given.
   */
  lease(ids: readonly number[], untilMs: number): Promise<WaitingDeliveryRow[]>;
  /** Gives leases back (their instance went away). */
  release(ids: readonly number[]): Promise<void>;
}

/** The only replica: every WAITING assignment is ours. */
export class SingleReplicaClaims implements DeliveryClaims {
  constructor(private readonly db: Knex) {}

  deliverable(key: string, limit: number, afterId: number): Promise<number[]> {
    return listWaitingIds(this.db, key, limit, afterId);
  }

  lease(ids: readonly number[]): Promise<WaitingDeliveryRow[]> {
    return readWaitingDeliveries(this.db, ids);
  }

  async release(): Promise<void> {}
}

/** One of several replicas: leases are rows in the shared database. */
export class SharedClaims implements DeliveryClaims {
  constructor(
    private readonly db: Knex,
    private readonly context: () => ClaimContext,
  ) {}

  async deliverable(key: string, limit: number, afterId: number): Promise<number[]> {
    const rows = await listDeliverableAssignments(this.db, this.context(), key, limit, afterId);
    return rows.map((row) => row.id);
  }

  lease(ids: readonly number[], untilMs: number): Promise<WaitingDeliveryRow[]> {
    return leaseDeliveries(this.db, this.context(), ids, untilMs);
  }

  release(ids: readonly number[]): Promise<void> {
    return releaseAssignments(this.db, this.context().replicaId, ids);
  }
}
