/**
 * Hands WAITING memberships and prescription requests to connected plugin instances, at least
 * once.
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
 * Prescription requests (of jobs RUNNING, the request WAITING or RUNNING) go the same way, in
 * the room memberships leave: one lease each, counted in the same `capacity`, sent as a
 * PrescriptionRequest. The first delivery stores the request RUNNING with its deadline. A
 * request's lease is renewed by every part of its answer (`renewRequest`), so a long answer is
 * not redelivered halfway; it ends when the request finishes (`requestDone` on the feed).
 *
 * Live (stream) requests go first in that room, oldest event first: a case's next request is
 * ready only once its previous one finished, so an instance sees a case's events in order
 * (see `stream-deliveries.ts`); different cases go out concurrently.
 *
 * With several replicas (PostgreSQL) each first claims the membership for itself in the
 * database (see `DeliveryClaims`); `sweep()`, run with every heartbeat, hands out what other
 * replicas released or left behind when they died, and whatever a lost notification hid.
 */
import type { Logger } from "../../logger.js";
import type { RequestDeliveryRow } from "../../store/sql/prescription-deliveries.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";
import type { CoreMetrics } from "../metrics/core-metrics.js";
import type { PluginSession, PluginSessions } from "../plugins/plugin-sessions.js";
import { isStreamRequestId } from "../prescriptions/stream/stream-answers.js";
import type { DeliveryClaims, RequestClaims, StreamClaims } from "./delivery-claims.js";
import { InstanceLeases, type WorkId } from "./instance-leases.js";
import { leastLoaded } from "./least-loaded.js";
import { prescriptionRequestOf, streamRequestOf, trainingDataOf } from "./training-data.js";

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
  /** Prescription requests to hand out too; without it only memberships are. */
  readonly requests?: {
    readonly claims: RequestClaims;
    /** A request's deadline after its first delivery (CORE_PRESCRIPTION_TIMEOUT_MS). */
    readonly timeoutMs: number;
  };
  /** Live (stream) requests to hand out too. */
  readonly stream?: {
    readonly claims: StreamClaims;
    /** A request's deadline after its first delivery (CORE_STREAM_PRESCRIPTION_TIMEOUT_MS). */
    readonly timeoutMs: number;
  };
}

export class Dispatcher {
  private readonly leases: InstanceLeases;
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  /** Work sent at least once by this process: sending it again is a redelivery. */
  private readonly sent = new Set<WorkId>();
  private readonly unsubscribe: (() => void)[];
  private readonly expiryTimer: NodeJS.Timeout;
  private stopped = false;
  /** Keys to dispatch once the current batch of notifications is through (`dispatchSoon`). */
  private readonly soon = new Set<string>();

  constructor(private readonly deps: DispatcherDeps) {
    this.leases = new InstanceLeases(deps.capacity);
    this.unsubscribe = [
      deps.feed.onWorkAvailable((key) => this.dispatch(key)),
      deps.feed.onMembershipLeftWaiting((key, membershipId) => {
        this.sent.delete(membershipId);
        // Only a lease held here frees room here (and no one else holds it then).
        if (this.leases.release(membershipId) !== undefined) this.dispatch(key);
      }),
      deps.feed.onRequestDone((key, requestId) => {
        this.sent.delete(requestId);
        if (this.leases.release(requestId) !== undefined) this.dispatchSoon(key);
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
    const memberships = [...released].filter((id): id is number => typeof id === "number");
    const requests = [...released].filter((id): id is string => typeof id === "string");
    Promise.all([
      this.deps.claims.release(memberships),
      this.deps.requests?.claims.releaseRequests(requests.filter((id) => !isStreamRequestId(id))),
      this.deps.stream?.claims.releaseStreamRequests(requests.filter(isStreamRequestId)),
    ])
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

  /** True when an instance on this replica holds the lease of a membership (or request). */
  holdsLease(id: WorkId): boolean {
    return this.leases.holder(id, Date.now()) !== undefined;
  }

  /**
   * A part of the answer to a request came from `session`: its lease lasts `leaseMs` from now.
   * An instance whose lease moved on keeps none (its parts are still stored).
   */
  renewRequest(requestId: string, session: PluginSession): void {
    this.leases.renew(requestId, session, Date.now() + this.deps.leaseMs);
  }

  /** In-flight TrainingData and PrescriptionRequests of a session (for tests and metrics). */
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

  /**
   * `dispatch(key)` after the notifications of this turn of the event loop: the answers of one
   * commit each free a lease, and one round then hands out all that room at once.
   */
  private dispatchSoon(key: string): void {
    if (this.soon.size === 0) {
      setImmediate(() => {
        const keys = [...this.soon];
        this.soon.clear();
        for (const soonKey of keys) this.dispatch(soonKey);
      });
    }
    this.soon.add(key);
  }

  private async handOut(key: string): Promise<void> {
    const max = this.deps.maxClaimsPerQuery ?? 256;
    for (;;) {
      const free = this.freeRoom(key, max);
      if (free === 0) return;
      const untilMs = Date.now() + this.deps.leaseMs;
      const memberships = await this.handOutMemberships(key, free, untilMs);
      if (memberships === "stop") return;
      if (memberships === free) continue;
      // Memberships first; live requests, then dataset requests, in the room they leave.
      const room = this.freeRoom(key, free - memberships);
      if (room === 0) return;
      const live = await this.handOutStreamRequests(key, room, untilMs);
      if (live === "stop") return;
      if (live === room) continue;
      const rest = this.freeRoom(key, room - live);
      if (rest === 0 || !this.deps.requests) return;
      if ((await this.handOutRequests(key, rest, untilMs)) !== rest) return;
    }
  }

  /** Hands out up to `count` memberships; how many, or "stop" when instances were missing. */
  private async handOutMemberships(
    key: string,
    count: number,
    untilMs: number,
  ): Promise<number | "stop"> {
    const held = this.leases
      .heldBy(key, Date.now())
      .filter((id): id is number => typeof id === "number");
    const claimed = await this.deps.claims.claimNext(key, count, held, untilMs);
    const unused: number[] = [];
    for (const row of claimed) {
      const session = this.grant(key, row.id, untilMs);
      if (!session) {
        unused.push(row.id);
        continue;
      }
      session.sendTrainingData(trainingDataOf(row)).catch(() => {
        // The stream closed: sessionClosed() releases the lease and dispatches again.
      });
    }
    if (unused.length > 0) {
      await this.deps.claims.release(unused);
      return "stop";
    }
    return claimed.length;
  }

  /** Hands out up to `count` prescription requests; how many were claimed. */
  private async handOutRequests(key: string, count: number, untilMs: number): Promise<number> {
    const requests = this.deps.requests;
    if (!requests) return 0;
    const held = this.leases
      .heldBy(key, Date.now())
      .filter((id): id is string => typeof id === "string");
    const claimed = await requests.claims.claimNextRequests(key, count, held, untilMs);
    const unused: string[] = [];
    const granted: { row: RequestDeliveryRow; session: PluginSession }[] = [];
    for (const row of claimed) {
      const session = this.grant(key, row.id, untilMs);
      if (session) granted.push({ row, session });
      else unused.push(row.id);
    }
    const first = granted.filter(({ row }) => row.first_delivered_ms === null);
    if (first.length > 0) {
      try {
        await requests.claims.markDelivered(
          first.map(({ row }) => row.id),
          Date.now(),
          requests.timeoutMs,
        );
      } catch (error) {
        for (const { row } of granted) this.leases.release(row.id);
        await requests.claims.releaseRequests(claimed.map((row) => row.id));
        throw error;
      }
      for (const jobId of new Set(first.map(({ row }) => row.job_id))) {
        this.deps.feed.jobChanged(jobId);
      }
    }
    for (const { row, session } of granted) {
      session.sendPrescriptionRequest(prescriptionRequestOf(row)).catch(() => {
        // The stream closed: sessionClosed() releases the lease and dispatches again.
      });
    }
    if (unused.length > 0) {
      await requests.claims.releaseRequests(unused);
      return 0;
    }
    return claimed.length;
  }

  /** Hands out up to `count` live requests; how many, or "stop" when instances were missing. */
  private async handOutStreamRequests(
    key: string,
    count: number,
    untilMs: number,
  ): Promise<number | "stop"> {
    const stream = this.deps.stream;
    if (!stream) return 0;
    const held = this.leases
      .heldBy(key, Date.now())
      .filter((id): id is string => typeof id === "string" && isStreamRequestId(id));
    const claimed = await stream.claims.claimNextStreamRequests(key, count, held, untilMs);
    const granted: { row: (typeof claimed)[number]; session: PluginSession }[] = [];
    const unused: string[] = [];
    for (const row of claimed) {
      const session = this.grant(key, row.id, untilMs);
      if (session) granted.push({ row, session });
      else unused.push(row.id);
    }
    const first = granted.filter(({ row }) => row.first_delivered_ms === null).map((g) => g.row.id);
    stream.claims.markStreamDelivered(first, Date.now(), stream.timeoutMs).catch((error) => {
      this.deps.logger.warn({ err: error, key }, "could not store live requests as delivered");
    });
    for (const { row, session } of granted) {
      session.sendPrescriptionRequest(streamRequestOf(row)).catch(() => {
        // The stream closed: sessionClosed() releases the lease and dispatches again.
      });
    }
    if (unused.length > 0) {
      await stream.claims.releaseStreamRequests(unused);
      return "stop";
    }
    return claimed.length;
  }

  /** Leases `id` to the least loaded instance of `key`; undefined when none has room. */
  private grant(key: string, id: WorkId, untilMs: number): PluginSession | undefined {
    const lapsed = this.leases.lapsedHolder(id);
    const grantedMs = Date.now();
    const session = leastLoaded(
      this.deps.sessions.connected(key),
      this.leases,
      (s) => this.deps.sessions.isOnline(s, grantedMs),
      lapsed,
    );
    if (!session) return undefined;
    this.leases.grant(id, session, untilMs);
    if (this.sent.has(id)) {
      this.deps.metrics.redelivered(lapsed ? "lease_expired" : "holder_gone");
    } else this.sent.add(id);
    return session;
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
