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
  /** Changed prescription job ids. */
  readonly j?: string[];
  /** [key, request id] of prescription requests that left their instance. */
  readonly d?: [string, string][];
  /** Project ids whose live events changed. */
  readonly s?: number[];
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
    for (const jobId of arrayOf(payload.j)) {
      if (typeof jobId === "string") feed.deliverRemote({ kind: "job", jobId });
    }
    for (const projectId of arrayOf(payload.s)) {
      if (typeof projectId === "number" && Number.isSafeInteger(projectId)) {
        feed.deliverRemote({ kind: "stream", projectId });
      }
    }
    for (const entry of arrayOf(payload.d)) {
      const [key, requestId]: unknown[] = Array.isArray(entry) ? entry : [];
      if (typeof key === "string" && typeof requestId === "string") {
        feed.deliverRemote({ kind: "request-done", key, requestId });
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
  let jobs = new Set<string>();
  let requestsDone: [string, string][] = [];
  let streams = new Set<number>();
  let size = 0;
  const emit = () => {
    if (
      projects.size +
        keys.size +
        leftWaiting.length +
        jobs.size +
        requestsDone.length +
        streams.size ===
      0
    ) {
      return;
    }
    const payload: Payload = {
      r: replicaId,
      ...(projects.size > 0 ? { p: [...projects] } : {}),
      ...(keys.size > 0 ? { k: [...keys] } : {}),
      ...(leftWaiting.length > 0 ? { w: leftWaiting } : {}),
      ...(jobs.size > 0 ? { j: [...jobs] } : {}),
      ...(requestsDone.length > 0 ? { d: requestsDone } : {}),
      ...(streams.size > 0 ? { s: [...streams] } : {}),
    };
    payloads.push(JSON.stringify(payload));
    projects = new Set();
    keys = new Set();
    leftWaiting = [];
    jobs = new Set();
    requestsDone = [];
    streams = new Set();
    size = 0;
  };
  for (const change of changes) {
    if (size + costOf(change) > maxPayloadBytes - replicaId.length - 32) emit();
    size += costOf(change);
    switch (change.kind) {
      case "project":
        projects.add(change.projectId);
        break;
      case "work":
        keys.add(change.key);
        break;
      case "left-waiting":
        leftWaiting.push([change.key, change.membershipId]);
        break;
      case "job":
        jobs.add(change.jobId);
        break;
      case "request-done":
        requestsDone.push([change.key, change.requestId]);
        break;
      case "stream":
        streams.add(change.projectId);
        break;
    }
  }
  emit();
  return payloads;
}

/** Bytes a change adds to a payload, roughly (JSON text plus separators). */
function costOf(change: Change): number {
  switch (change.kind) {
    case "project":
    case "stream":
      return 17;
    case "job":
      return Buffer.byteLength(JSON.stringify(change.jobId)) + 4;
    case "request-done":
      return Buffer.byteLength(JSON.stringify([change.key, change.requestId])) + 4;
    default:
      return Buffer.byteLength(JSON.stringify(change.key)) + 20;
  }
}
