/**
 * Live-prescription clients that survive a core restart, for crash tests: a WatchPrescriptions
 * reader that reconnects with its cursor whenever its stream ends, and PostEvents retried with
 * its request_id until acked; and the checks every such test makes on what the readers saw.
 */
import { type ServiceError, type StatusObject, status } from "@grpc/grpc-js";
import { expect } from "vitest";
import type {
  Event,
  PrescribedEvent,
  PrescriptionServiceClient,
  WatchPrescriptionsResponse,
} from "../../src/gen/trainingcore/v1/prescription_service.js";
import { post } from "./live-prescriptions.js";

/** What a core that is down or restarting answers; anything else fails the test at once. */
const retried = new Set<number>([
  status.UNAVAILABLE,
  status.CANCELLED,
  status.DEADLINE_EXCEEDED,
  status.UNKNOWN,
  status.INTERNAL,
]);

export interface ResumingReader {
  /** Every event received, in arrival order (duplicates kept, so a test can find them). */
  readonly seen: PrescribedEvent[];
  /** Streams opened (1 + reconnections). */
  readonly connections: number;
  /** How each stream ended: its status code and details. */
  readonly endings: string[];
  /** Resolves once `seen` holds at least `count` events. */
  reached(count: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A reader of `projectId` that, whenever its stream ends or fails, opens a new one after the
 * last event id it saw (50 ms apart while the core is down).
 */
export function resumingReader(
  client: PrescriptionServiceClient,
  projectId: number,
): ResumingReader {
  const seen: PrescribedEvent[] = [];
  const waiters = new Set<() => void>();
  let stopped = false;
  let connections = 0;
  const endings: string[] = [];
  let current: { cancel(): void } | undefined;
  const run = async () => {
    while (!stopped) {
      const cursor = seen.at(-1)?.eventId ?? 0;
      connections++;
      await new Promise<void>((resolve) => {
        const stream = client.watchPrescriptions({ projectId, afterEventId: cursor });
        current = stream;
        stream.on("data", (m: WatchPrescriptionsResponse) => {
          if (!m.event) return;
          seen.push(m.event);
          for (const wake of waiters) wake();
        });
        // grpc-js ends a failed stream too ("end" then "error"); "status" comes once.
        stream.on("status", (s: StatusObject) => {
          endings.push(`${s.code} ${s.details}`);
          resolve();
        });
        stream.on("error", () => resolve());
      });
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const done = run();
  return {
    seen,
    get connections() {
      return connections;
    },
    endings,
    async reached(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(
            `the reader saw ${seen.length} of ${count} events within ${timeoutMs} ms (last id ${seen.at(-1)?.eventId})`,
          );
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, Math.min(left, 1000));
          waiters.add(wake);
        });
      }
    },
    async stop() {
      stopped = true;
      current?.cancel();
      await done;
    },
  };
}

export interface PostOutcome {
  readonly ids: number[];
  /** Calls that failed before the one that was acked. */
  readonly failures: number;
}

/** PostEvents with `requestId`, retried (same request_id) until acked while the core restarts. */
export async function postUntilAcked(
  client: PrescriptionServiceClient,
  projectId: number,
  events: Event[],
  requestId: string,
  timeoutMs = 60_000,
): Promise<PostOutcome> {
  const deadline = Date.now() + timeoutMs;
  for (let failures = 0; ; failures++) {
    try {
      return { ids: await post(client, projectId, events, requestId), failures };
    } catch (error) {
      const code = (error as ServiceError).code;
      if (code === undefined || !retried.has(code) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * `seen` is exactly the acked events: each once, in increasing id order, with the case it was
 * posted under.
 */
export function expectExactlyAcked(
  seen: readonly PrescribedEvent[],
  caseOf: ReadonlyMap<number, string>,
  label: string,
): void {
  const ids = seen.map((e) => e.eventId);
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const unknown = ids.filter((id) => !caseOf.has(id));
  const missed = [...caseOf.keys()].filter((id) => !counts.has(id));
  const disordered = ids.filter((id, i) => i > 0 && id <= (ids[i - 1] as number));
  expect(
    { twice: twice.slice(0, 20), unknown: unknown.slice(0, 20), missed: missed.slice(0, 20) },
    `${label}: events seen twice, never acked, or acked and never seen`,
  ).toEqual({ twice: [], unknown: [], missed: [] });
  expect(disordered.slice(0, 20), `${label}: ids not increasing`).toEqual([]);
  expect(ids).toHaveLength(caseOf.size);
  for (const e of seen)
    expect(e.caseId, `${label}: case of event ${e.eventId}`).toBe(caseOf.get(e.eventId));
}

/**
 * Each event's position in its case (1 for the case's first event), by id: the number of events
 * a plugin finds in its case prefix.
 */
export function positionsInCase(caseOf: ReadonlyMap<number, string>): Map<number, number> {
  const counts = new Map<string, number>();
  const positions = new Map<number, number>();
  for (const id of [...caseOf.keys()].sort((a, b) => a - b)) {
    const caseId = caseOf.get(id) as string;
    const n = (counts.get(caseId) ?? 0) + 1;
    counts.set(caseId, n);
    positions.set(id, n);
  }
  return positions;
}
