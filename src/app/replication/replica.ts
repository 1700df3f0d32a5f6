/**
 * This core process as one replica among those sharing the database: its id, its heartbeat,
 * and the periodic duties that make the replicas one service (publishing its plugin sessions,
 * taking over the work of replicas that died). On SQLite there is only ever one replica; the
 * same heartbeat then just keeps the claims of a crashed predecessor from blocking this one.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Knex } from "knex";
import type { Logger } from "../../logger.js";
import type { ClaimContext } from "../../store/sql/claims.js";
import { releaseEverything } from "../../store/sql/claims.js";
import {
  beatReplica,
  deleteDeadReplicas,
  deleteReplica,
  listLiveReplicas,
} from "../../store/sql/replicas.js";
import type { CoreMetrics } from "../metrics/core-metrics.js";

export interface ReplicaDeps {
  readonly db: Knex;
  readonly logger: Logger;
  /** Shows how many replicas are live. */
  readonly metrics: CoreMetrics;
  /** A replica whose heartbeat is older than this is gone: the others take its work. */
  readonly ttlMs: number;
  /**
   * The only replica there can be (SQLite, guarded by its lock file): every other row is a
   * predecessor that crashed, whose claims are taken over at once instead of after the TTL.
   */
  readonly sole: boolean;
}

/** Duties run after every heartbeat, one after another. */
export type HeartbeatDuty = () => Promise<void>;

/** Replicas silent for this many TTLs are removed from the table with their sessions. */
const forgetAfterTtls = 10;

export class Replica {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(4).toString("hex")}`;
  private readonly startedMs = Date.now();
  private peers = 0;
  private readonly duties: HeartbeatDuty[] = [];
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> = Promise.resolve();
  /** host:port this replica serves on, once known (shown to operators in `replicas`). */
  private address = "";

  constructor(private readonly deps: ReplicaDeps) {}

  /** A replica whose heartbeat is older than this is gone. */
  get ttlMs(): number {
    return this.deps.ttlMs;
  }

  /** How often the heartbeat runs: several beats fit in one TTL, so one slow beat is no death. */
  get heartbeatIntervalMs(): number {
    return Math.max(20, Math.floor(this.deps.ttlMs / 4));
  }

  /** Other live replicas seen at the last heartbeat. */
  get peerCount(): number {
    return this.peers;
  }

  claimContext(nowMs = Date.now()): ClaimContext {
    return { replicaId: this.id, nowMs, liveCutoffMs: nowMs - this.deps.ttlMs };
  }

  servingAt(address: string): void {
    this.address = address;
  }

  /** Runs `duty` after every heartbeat (sessions, takeovers, sweeps). */
  addDuty(duty: HeartbeatDuty): void {
    this.duties.push(duty);
  }

  /** Registers the replica; heartbeats start with `startBeating`. */
  async register(): Promise<void> {
    if (this.deps.sole) await deleteDeadReplicas(this.deps.db, Number.MAX_SAFE_INTEGER);
    await this.beat();
  }

  startBeating(): void {
    this.timer = setInterval(() => {
      this.beating = this.beating.then(() => this.beatAndRunDuties());
    }, this.heartbeatIntervalMs);
    this.timer.unref();
  }

  /** Stops beating, gives every claim back and leaves the table: the others take over at once. */
  async leave(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
    try {
      await releaseEverything(this.deps.db, this.id);
      await deleteReplica(this.deps.db, this.id);
    } catch (error) {
      this.deps.logger.warn(
        { err: error },
        "could not leave the replica table; others wait for the TTL",
      );
    }
  }

  private async beatAndRunDuties(): Promise<void> {
    try {
      await this.beat();
    } catch (error) {
      this.deps.logger.warn({ err: error, replica: this.id }, "heartbeat failed; will retry");
      return;
    }
    for (const duty of this.duties) {
      try {
        await duty();
      } catch (error) {
        this.deps.logger.warn({ err: error, replica: this.id }, "replica duty failed; will retry");
      }
    }
  }

  private async beat(): Promise<void> {
    const nowMs = Date.now();
    await beatReplica(this.deps.db, {
      id: this.id,
      address: this.address,
      started_ms: this.startedMs,
      heartbeat_ms: nowMs,
    });
    const live = await listLiveReplicas(this.deps.db, nowMs - this.deps.ttlMs);
    const peers = live.filter((row) => row.id !== this.id).length;
    this.deps.metrics.replicasLive(peers + 1);
    if (peers !== this.peers) {
      this.deps.logger.info({ replica: this.id, peers }, "replicas changed");
      this.peers = peers;
    }
    await deleteDeadReplicas(this.deps.db, nowMs - forgetAfterTtls * this.deps.ttlMs);
  }
}
