/**
 * The write lock between a worker thread's own SQLite connection and the core's.
 *
 * SQLite has one writer at a time, and the core's knex transactions are deferred (`BEGIN`, then
 * a read, then writes): one whose snapshot is older than a commit of another connection cannot
 * upgrade to a writer and fails with SQLITE_BUSY at once, whatever the busy_timeout. So each
 * write transaction of a worker (a few MiB of rows, no fsync) runs while the main thread holds
 * the core's only pooled connection (`acquireConnection`), i.e. while no core transaction is
 * open; the core's queries wait for it asynchronously (the event loop stays free), and neither
 * side ever sees SQLITE_BUSY. Reads need no lock (WAL).
 *
 * Shared control words (an Int32Array over a SharedArrayBuffer of 8 bytes): [ABORT] non-zero
 * asks the worker to stop; [LOCK] the main thread's answer to the worker's "lock" message.
 */
import type { Knex } from "knex";
import type { WriteLock } from "./sqlite-blob-writer.js";

export const ABORT = 0;
const LOCK = 1;
const LOCK_WAITING = 0;
const LOCK_GRANTED = 1;
const LOCK_REFUSED = 2;

/** The worker stopped: asked to, or refused the lock because the store is closing. */
export class AbortedError extends Error {
  override readonly name = "AbortedError";
}

/**
 * Worker side: posts "lock", blocks this thread until the main thread answers, runs `write`,
 * posts "unlock".
 */
export function workerWriteLock(
  control: Int32Array,
  post: (message: { type: "lock" } | { type: "unlock" }) => void,
): WriteLock {
  return <T>(write: () => T): T => {
    post({ type: "lock" });
    while (Atomics.load(control, LOCK) === LOCK_WAITING) {
      Atomics.wait(control, LOCK, LOCK_WAITING, 1000);
    }
    const granted = Atomics.load(control, LOCK) === LOCK_GRANTED;
    Atomics.store(control, LOCK, LOCK_WAITING);
    if (!granted) throw new AbortedError();
    try {
      return write();
    } finally {
      post({ type: "unlock" });
    }
  };
}

/**
 * The worker's write lock on the main side: holds the core's only pooled SQLite connection (so
 * no core transaction is open) from the worker's "lock" to its "unlock".
 */
export class CoreConnectionLock {
  private held: unknown;
  private acquiring: Promise<void> | undefined;

  constructor(
    private readonly db: Knex,
    private readonly control: Int32Array,
  ) {}

  acquire(signal: AbortSignal): void {
    const client = this.db.client as KnexClient;
    this.acquiring = (async () => {
      let answer = LOCK_REFUSED;
      try {
        if (!signal.aborted) {
          this.held = await client.acquireConnection();
          answer = LOCK_GRANTED;
        }
      } catch {
        answer = LOCK_REFUSED; // the pool is closing
      }
      Atomics.store(this.control, LOCK, answer);
      Atomics.notify(this.control, LOCK);
    })();
  }

  release(): void {
    const acquiring = this.acquiring;
    this.acquiring = undefined;
    void acquiring?.then(() => {
      const held = this.held;
      this.held = undefined;
      if (held !== undefined) (this.db.client as KnexClient).releaseConnection(held);
    });
  }
}

interface KnexClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): unknown;
}
