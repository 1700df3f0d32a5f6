/**
 * Which WAITING memberships (and which prescription requests) this replica may hand out. With one replica (SQLite) that is all
 * of them, and only the instance leases in memory (see `InstanceLeases`) say who has what; with
 * several (PostgreSQL) a membership is first claimed by this replica in the database, so no two
 * replicas send it to their instances at once, and a dead replica's claims lapse with its
 * heartbeat.
 */
import type { Knex } from "knex";
import {
  type ClaimContext,
  claimNextDeliveries,
  releaseMemberships,
} from "../../store/sql/claims.js";
import { readNextWaitingDeliveries, type WaitingDeliveryRow } from "../../store/sql/memberships.js";
import {
  claimNextRequests,
  markRequestsDelivered,
  type RequestDeliveryRow,
  readNextRequestDeliveries,
  releaseRequests,
} from "../../store/sql/prescription-deliveries.js";
import {
  claimNextStreamRequests,
  markStreamRequestsDelivered,
  readNextStreamDeliveries,
  releaseStreamRequests,
  type StreamDeliveryRow,
} from "../../store/sql/stream-deliveries.js";
import type { GroupCommitter } from "../reports/group-commit.js";

export interface DeliveryClaims {
  /**
   * Claims for this replica, until `untilMs`, up to `count` WAITING memberships of `key` ready
   * for delivery, oldest first, other than `held` (leased to an instance here already); returns
   * them with what their TrainingData needs.
   */
  claimNext(
    key: string,
    count: number,
    held: readonly number[],
    untilMs: number,
  ): Promise<WaitingDeliveryRow[]>;
  /** Gives claims back (their instance went away). */
  release(ids: readonly number[]): Promise<void>;
}

/** The same for prescription requests (WAITING or RUNNING, job RUNNING, deadline ahead). */
export interface RequestClaims {
  claimNextRequests(
    key: string,
    count: number,
    held: readonly string[],
    untilMs: number,
  ): Promise<RequestDeliveryRow[]>;
  releaseRequests(ids: readonly string[]): Promise<void>;
  /** Stores the first delivery of WAITING requests: RUNNING, deadline `timeoutMs` from now. */
  markDelivered(ids: readonly string[], nowMs: number, timeoutMs: number): Promise<void>;
}

/**
 * The same for live (stream) requests: ready when no earlier request of the same membership
 * and case is open (see `stream-deliveries.ts`).
 */
export interface StreamClaims {
  claimNextStreamRequests(
    key: string,
    count: number,
    held: readonly string[],
    untilMs: number,
  ): Promise<StreamDeliveryRow[]>;
  releaseStreamRequests(ids: readonly string[]): Promise<void>;
  /**
   * Stores the first delivery of WAITING requests (RUNNING, deadline `timeoutMs` from now) in
   * the group committer's next transaction. The caller need not wait: a request answered
   * before this commits stays answered (only WAITING requests change), and one whose mark is
   * lost in a crash keeps its deadline from posting and is delivered again.
   */
  markStreamDelivered(ids: readonly string[], nowMs: number, timeoutMs: number): Promise<void>;
}

function markInNextCommit(
  committer: GroupCommitter,
  ids: readonly string[],
  nowMs: number,
  timeoutMs: number,
): Promise<void> {
  if (ids.length === 0) return Promise.resolve();
  return committer.runOnDriver((ctx) =>
    markStreamRequestsDelivered(ctx.conn, ids, nowMs, timeoutMs),
  );
}

/** The only replica: every WAITING membership is ours. */
export class SingleReplicaClaims implements DeliveryClaims, RequestClaims, StreamClaims {
  constructor(
    private readonly db: Knex,
    private readonly committer: GroupCommitter,
  ) {}

  claimNext(key: string, count: number, held: readonly number[]): Promise<WaitingDeliveryRow[]> {
    return readNextWaitingDeliveries(this.db, key, count, new Set(held));
  }

  async release(): Promise<void> {}

  claimNextRequests(
    key: string,
    count: number,
    held: readonly string[],
  ): Promise<RequestDeliveryRow[]> {
    return readNextRequestDeliveries(this.db, key, count, new Set(held), Date.now());
  }

  async releaseRequests(): Promise<void> {}

  markDelivered(ids: readonly string[], nowMs: number, timeoutMs: number): Promise<void> {
    return markRequestsDelivered(this.db, ids, nowMs, timeoutMs);
  }

  claimNextStreamRequests(
    key: string,
    count: number,
    held: readonly string[],
  ): Promise<StreamDeliveryRow[]> {
    return readNextStreamDeliveries(this.db, key, count, held, Date.now());
  }

  async releaseStreamRequests(): Promise<void> {}

  markStreamDelivered(ids: readonly string[], nowMs: number, timeoutMs: number): Promise<void> {
    return markInNextCommit(this.committer, ids, nowMs, timeoutMs);
  }
}

/** One of several replicas: claims are columns of the rows in the shared database. */
export class SharedClaims implements DeliveryClaims, RequestClaims, StreamClaims {
  constructor(
    private readonly db: Knex,
    private readonly committer: GroupCommitter,
    private readonly context: () => ClaimContext,
  ) {}

  claimNext(
    key: string,
    count: number,
    held: readonly number[],
    untilMs: number,
  ): Promise<WaitingDeliveryRow[]> {
    return claimNextDeliveries(this.db, this.context(), key, count, held, untilMs);
  }

  release(ids: readonly number[]): Promise<void> {
    return releaseMemberships(this.db, this.context().replicaId, ids);
  }

  claimNextRequests(
    key: string,
    count: number,
    held: readonly string[],
    untilMs: number,
  ): Promise<RequestDeliveryRow[]> {
    return claimNextRequests(this.db, this.context(), key, count, held, untilMs);
  }

  releaseRequests(ids: readonly string[]): Promise<void> {
    return releaseRequests(this.db, this.context().replicaId, ids);
  }

  markDelivered(ids: readonly string[], nowMs: number, timeoutMs: number): Promise<void> {
    return markRequestsDelivered(this.db, ids, nowMs, timeoutMs);
  }

  claimNextStreamRequests(
    key: string,
    count: number,
    held: readonly string[],
    untilMs: number,
  ): Promise<StreamDeliveryRow[]> {
    return claimNextStreamRequests(this.db, this.context(), key, count, held, untilMs);
  }

  releaseStreamRequests(ids: readonly string[]): Promise<void> {
    return releaseStreamRequests(this.db, this.context().replicaId, ids);
  }

  markStreamDelivered(ids: readonly string[], nowMs: number, timeoutMs: number): Promise<void> {
    return markInNextCommit(this.committer, ids, nowMs, timeoutMs);
  }
}
