/**
 * Hands WAITING memberships to connected plugin instances, at least once.
 *
 * Each WAITING membership is leased to one instance (the least loaded, online ones first) and
 * sent to it as TrainingData. An instance holds at most `capacity` leases; the rest wait in the
 * store. When the membership leaves WAITING (its DataReport, an error, a deadline) the lease
 * ends and the instance gets the next one. When the instance disconnects or its lease runs out
 * (`leaseMs`) before a DataReport, the membership goes to another instance (or the same one
 * again when it is the only one). Every change that may free work or capacity calls
 * `dispatch(key)`; dispatches of one key run one after another, so nothing is handed out twice
 * at once. A report from an instance whose lease moved on is still judged by the state machine:
 * a late duplicate is a no-op.
 *
 * With several replicas (PostgreSQL) each first claims the membership for itself in the
 * database (see `DeliveryClaims`); `sweep()`, run with every heartbeat, hands out what other
 * replicas released or left behind when they died, and whatever a lost notification hid.
 */
import type { Logger } from "../../logger.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";
import type { CoreMetrics } from "../metrics/core-metrics.js";
import type { PluginSession, PluginSessions } from "../plugins/plugin-sessions.js";
import type { DeliveryClaims } from "./delivery-claims.js";
import { InstanceLeases } from "./instance-leases.js";
import { leastLoaded } from "./least-loaded.js";
import { trainingDataOf } from "./training-data.js";

export interface DispatcherDeps {
  readonly claims: DeliveryClaims;
  readonly sessions: PluginSessions;
  readonly feed: ChangeFeed;
  readonly logger: Logger;
  /** Counts redeliveries. */
  readonly metrics: CoreMetrics;
  /** TrainingData in flight per stream: leased, no DataReport yet. */
  readonly capacity: number;
  /** How long an instance has for its DataReport before the membership may go elsewhere. */
  readonly leaseMs: number;
  /**
   * Most memberships one claim query asks for (default 256); a round goes on with another
   * while both work and room remain.
   */
  readonly maxClaimsPerQuery?: number;
}

export class Dispatcher {
  private readonly leases: InstanceLeases;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** WAITING memberships sent at least once by this process: sending one again is a redelivery. */
  private readonly sent = new Set<number>();
  private readonly unsubscribe: (() => void)[];
  private readonly expiryTimer: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly deps: DispatcherDeps) {
    this.leases = new InstanceLeases(deps.capacity);
    this.unsubscribe = [
      deps.feed.onWorkAvailable((key) => this.dispatch(key)),
      deps.feed.onMembershipLeftWaiting((key, membershipId) => {
        this.sent.delete(membershipId);
        // Only a lease held here frees room here (and no one else holds it then).
        if (this.leases.release(membershipId) !== undefined) this.dispatch(key);
      }),
    ];
    this.expiryTimer = setInterval(
      () => {
        for (const key of this.leases.expire(Date.now())) this.dispatch(key);
      },
      Math.max(50, Math.floor(deps.leaseMs / 4)),
    );
    this.expiryTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.expiryTimer);
    for (const unsubscribe of this.unsubscribe) unsubscribe();
  }

  /** A new instance connected (or came back online): it may take work. */
  sessionReady(session: PluginSession): void {
    this.dispatch(session.key);
  }

  /**
   * An instance went away: its leased work goes to the others (on this replica at once; on
   * others once the database claims are given back).
   */
  sessionClosed(session: PluginSession): void {
    const released = this.leases.releaseSession(session);
    if (released.size === 0) {
      this.dispatch(session.key);
      return;
    }
    this.deps.claims
      .release([...released])
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error, key: session.key }, "could not give claims back"),
      )
      .finally(() => this.deps.feed.workAvailable([session.key]));
  }

  /** Hands out the work of every key connected here (heartbeat; covers lost notifications). */
  sweep(): Promise<void> {
    return Promise.all(this.deps.sessions.keys().map((key) => this.dispatch(key))).then(() => {});
  }

  /** Resolves once no dispatch round is running (tests, benchmarks). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  /** True when an instance on this replica holds the membership's lease. */
  holdsLease(membershipId: number): boolean {
    return this.leases.holder(membershipId, Date.now()) !== undefined;
  }

  /** In-flight TrainingData of a session (for tests and metrics). */
  inFlight(session: PluginSession): number {
    return this.leases.count(session);
  }

  /** Hands out the WAITING work of `key`; resolves when this round is done. */
  dispatch(key: string): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const current = this.running.get(key);
    if (current) {
      this.again.add(key);
      return current;
    }
    const round = this.handOut(key)
      .catch((error: unknown) => this.deps.logger.warn({ err: error, key }, "dispatch failed"))
      .finally(() => {
        this.running.delete(key);
        if (this.again.delete(key)) this.dispatch(key);
      });
    this.running.set(key, round);
    return round;
  }

  private async handOut(key: string): Promise<void> {
    for (;;) {
      const free = this.freeRoom(key, this.deps.maxClaimsPerQuery ?? 256);
      if (free === 0) return;
      const nowMs = Date.now();
      const held = this.leases.heldBy(key, nowMs);
      const untilMs = nowMs + this.deps.leaseMs;
      const claimed = await this.deps.claims.claimNext(key, free, held, untilMs);
      const unused: number[] = [];
      for (const row of claimed) {
        const lapsed = this.leases.lapsedHolder(row.id);
        const grantedMs = Date.now();
        const session = leastLoaded(
          this.deps.sessions.connected(key),
          this.leases,
          (s) => this.deps.sessions.isOnline(s, grantedMs),
          lapsed,
        );
        if (!session) {
          unused.push(row.id);
          continue;
        }
        this.leases.grant(row.id, session, untilMs);
        if (this.sent.has(row.id)) {
          this.deps.metrics.redelivered(lapsed ? "lease_expired" : "holder_gone");
        } else this.sent.add(row.id);
        session.sendTrainingData(trainingDataOf(row)).catch(() => {
          // The stream closed: sessionClosed() releases the lease and dispatches again.
        });
      }
      if (unused.length > 0) await this.deps.claims.release(unused);
      // Fewer than asked for: nothing else is waiting (or the instances went away meanwhile).
      if (unused.length > 0 || claimed.length < free) return;
    }
  }

  /**
   * The room (free leases) of `key`'s instances, counted up to `atMost`: a key may have
   * 10,000 idle instances, and each one that connects dispatches.
   */
  private freeRoom(key: string, atMost: number): number {
    let free = 0;
    for (const session of this.deps.sessions.connected(key)) {
      free += this.leases.free(session);
      if (free >= atMost) return atMost;
    }
    return free;
  }
}
