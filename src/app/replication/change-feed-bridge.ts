/**
 * Carries the ChangeFeed between replicas over PostgreSQL LISTEN/NOTIFY. Changes committed
 * here are coalesced per event-loop turn into few notifications; changes from other replicas
 * are delivered to this replica's feed. A notification only wakes listeners up (the tables
 * stay the truth), so a lost one costs latency, never data: the periodic sweeps and the
 * re-read after a reconnect cover it.
 */
import type { Logger } from "../../logger.js";
import type { Change, ChangeFeed } from "../change-feed/change-feed.js";
import type { CoreMetrics } from "../metrics/core-metrics.js";

/** PostgreSQL's NOTIFY payload limit is 8000 bytes; stay clear of it. */
const maxPayloadBytes = 7_000;

interface Payload {
  /** Origin replica id: a replica ignores its own notifications. */
  readonly r: string;
  /** Changed project ids. */
  readonly p?: number[];
  /** Plugin keys with work to hand out. */
  readonly k?: string[];
  /** [key, membership id] of memberships that left WAITING. */
  readonly w?: [string, number][];
}

export interface ReplicaBridgeOptions {
  readonly feed: ChangeFeed;
  readonly replicaId: string;
  readonly logger: Logger;
  /** Sends one notification (pg_notify through the pool). */
  readonly notify: (payload: string) => Promise<void>;
  /** Counts the notifications sent and received. */
  readonly metrics: CoreMetrics;
  /**
   * True when this replica holds the lease of a membership: then no other replica does, and
   * its leaving WAITING concerns no one else.
   */
  readonly leasedHere?: (membershipId: number) => boolean;
}

export class ChangeFeedBridge {
  private pending: Change[] = [];
  private scheduled = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: ReplicaBridgeOptions) {
    this.unsubscribe = options.feed.onLocalChange((change) => {
      if (change.kind === "left-waiting" && options.leasedHere?.(change.membershipId)) return;
      this.pending.push(change);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  stop(): void {
    this.unsubscribe();
  }

  /** A notification from the channel (possibly our own, or garbage from a stray NOTIFY). */
  received(text: string): void {
    let payload: Payload;
    try {
      payload = JSON.parse(text) as Payload;
    } catch {
      this.options.logger.warn({ length: text.length }, "ignored a malformed notification");
      return;
    }
    if (typeof payload !== "object" || payload === null || payload.r === this.options.replicaId) {
      return;
    }
    const { feed } = this.options;
    this.options.metrics.replicaNotification("received");
    for (const projectId of arrayOf(payload.p)) {
      if (typeof projectId === "number" && Number.isSafeInteger(projectId)) {
        feed.deliverRemote({ kind: "project", projectId });
      }
    }
    for (const key of arrayOf(payload.k)) {
      if (typeof key === "string") feed.deliverRemote({ kind: "work", key });
    }
    for (const entry of arrayOf(payload.w)) {
      const [key, membershipId]: unknown[] = Array.isArray(entry) ? entry : [];
      if (typeof key === "string" && typeof membershipId === "number") {
        feed.deliverRemote({ kind: "left-waiting", key, membershipId });
      }
    }
  }

  private flush(): void {
    this.scheduled = false;
    const changes = this.pending;
    this.pending = [];
    for (const payload of payloadsOf(this.options.replicaId, changes)) {
      this.options.metrics.replicaNotification("sent");
      this.options.notify(payload).catch((error: unknown) => {
        this.options.logger.warn({ err: error }, "could not notify the other replicas");
      });
    }
  }
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Splits changes into payloads under the size limit, without repeats. */
export function payloadsOf(replicaId: string, changes: readonly Change[]): string[] {
  const payloads: string[] = [];
  let projects = new Set<number>();
  let keys = new Set<string>();
  let leftWaiting: [string, number][] = [];
  let size = 0;
  const emit = () => {
    if (projects.size + keys.size + leftWaiting.length === 0) return;
    const payload: Payload = {
      r: replicaId,
      ...(projects.size > 0 ? { p: [...projects] } : {}),
      ...(keys.size > 0 ? { k: [...keys] } : {}),
      ...(leftWaiting.length > 0 ? { w: leftWaiting } : {}),
    };
    payloads.push(JSON.stringify(payload));
    projects = new Set();
    keys = new Set();
    leftWaiting = [];
    size = 0;
  };
  for (const change of changes) {
    const cost =
      change.kind === "project" ? 17 : Buffer.byteLength(JSON.stringify(change.key)) + 20;
    if (size + cost > maxPayloadBytes - replicaId.length - 32) emit();
    size += cost;
    if (change.kind === "project") projects.add(change.projectId);
    else if (change.kind === "work") keys.add(change.key);
    else leftWaiting.push([change.key, change.membershipId]);
  }
  emit();
  return payloads;
}
