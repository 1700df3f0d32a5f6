/**
 * Which WAITING assignments this replica may hand out. With one replica (SQLite) that is all
 * of them and the leases live in memory only (see leases.ts); with several (PostgreSQL) an
 * assignment is first leased to this replica in the database, so no two replicas send it to
 * their instances at once, and a dead replica's leases lapse with its heartbeat.
 */
import type { Knex } from "knex";
import { listWaitingDeliveries, type WaitingDeliveryRow } from "../store/sql/assignments.js";
import {
  type ClaimContext,
  leaseAssignments,
  listDeliverableAssignments,
  releaseAssignments,
} from "../store/sql/claims.js";

export interface DeliveryClaims {
  /** WAITING assignments of `key` this replica may lease, oldest first, after `afterId`. */
  deliverable(key: string, limit: number, afterId: number): Promise<WaitingDeliveryRow[]>;
  /** Leases assignments to this replica until `untilMs`; the ids it got. */
  lease(ids: readonly number[], untilMs: number): Promise<Set<number>>;
  /** Gives leases back (their instance went away). */
  release(ids: readonly number[]): Promise<void>;
}

/** The only replica: every WAITING assignment is ours. */
export class SingleReplicaClaims implements DeliveryClaims {
  constructor(private readonly db: Knex) {}

  deliverable(key: string, limit: number, afterId: number): Promise<WaitingDeliveryRow[]> {
    return listWaitingDeliveries(this.db, key, limit, afterId);
  }

  async lease(ids: readonly number[]): Promise<Set<number>> {
    return new Set(ids);
  }

  async release(): Promise<void> {}
}

/** One of several replicas: leases are rows in the shared database. */
export class SharedClaims implements DeliveryClaims {
  constructor(
    private readonly db: Knex,
    private readonly context: () => ClaimContext,
  ) {}

  deliverable(key: string, limit: number, afterId: number): Promise<WaitingDeliveryRow[]> {
    return listDeliverableAssignments(this.db, this.context(), key, limit, afterId);
  }

  lease(ids: readonly number[], untilMs: number): Promise<Set<number>> {
    return leaseAssignments(this.db, this.context(), ids, untilMs);
  }

  release(ids: readonly number[]): Promise<void> {
    return releaseAssignments(this.db, this.context().replicaId, ids);
  }
}
