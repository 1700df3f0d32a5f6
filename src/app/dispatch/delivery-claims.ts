/**
 * Which WAITING assignments this replica may hand out. With one replica (SQLite) that is all
 * of them and the leases live in memory only (see `InstanceLeases`); with several (PostgreSQL) an
 * assignment is first leased to this replica in the database, so no two replicas send it to
 * their instances at once, and a dead replica's leases lapse with its heartbeat.
 */
import type { Knex } from "knex";
import { readNextWaitingDeliveries, type WaitingDeliveryRow } from "../../store/sql/assignments.js";
import {
  type ClaimContext,
  leaseNextDeliveries,
  releaseAssignments,
} from "../../store/sql/claims.js";

export interface DeliveryClaims {
  /**
   * Leases to this replica, until `untilMs`, up to `count` WAITING assignments of `key` ready
   * for delivery, oldest first, other than `held` (leased to an instance here already); returns
   * them with what their TrainingData needs.
   */
  leaseNext(
    key: string,
    count: number,
    held: readonly number[],
    untilMs: number,
  ): Promise<WaitingDeliveryRow[]>;
  /** Gives leases back (their instance went away). */
  release(ids: readonly number[]): Promise<void>;
}

/** The only replica: every WAITING assignment is ours. */
export class SingleReplicaClaims implements DeliveryClaims {
  constructor(private readonly db: Knex) {}

  leaseNext(key: string, count: number, held: readonly number[]): Promise<WaitingDeliveryRow[]> {
    return readNextWaitingDeliveries(this.db, key, count, new Set(held));
  }

  async release(): Promise<void> {}
}

/** One of several replicas: leases are rows in the shared database. */
export class SharedClaims implements DeliveryClaims {
  constructor(
    private readonly db: Knex,
    private readonly context: () => ClaimContext,
  ) {}

  leaseNext(
    key: string,
    count: number,
    held: readonly number[],
    untilMs: number,
  ): Promise<WaitingDeliveryRow[]> {
    return leaseNextDeliveries(this.db, this.context(), key, count, held, untilMs);
  }

  release(ids: readonly number[]): Promise<void> {
    return releaseAssignments(this.db, this.context().replicaId, ids);
  }
}
