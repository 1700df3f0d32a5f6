/**
 * Runs one preprocessing pass in a worker thread (`worker-entry`) on SQLite: the
 * worker reads the stored file and writes the training and holdout blobs with a connection of
 * its own, and marks both complete durably before it answers. Used for files large enough that
 * starting a thread (tens of milliseconds) is worth it; smaller ones are preprocessed in-process.
 */
import { Worker, type WorkerOptions } from "node:worker_threads";
import type { Knex } from "knex";
import { CoreConnectionLock } from "../../../store/blobs/worker-write-lock.js";
import type { PreprocessSummary } from "../csv/index.js";
import type { EventLogSummary } from "../event-log/normalizer.js";

export interface PreprocessJob {
  /** The SQLite database file. */
  readonly filename: string;
  readonly rawBlobId: string;
  /** Its recorded size: a stored file that ends early fails the pass (see readBlobChunks). */
  readonly rawBytes: number;
  readonly caseIdColumn: string;
  readonly holdoutFraction: number;
  /** The project's effective definition (JSON): the event-log normalizer; null: the CSV pipeline. */
  readonly definitionJson: string | null;
  /**
   * Two Int32 words: [0] non-zero asks the worker to stop; [1] the write lock's answer
   * (`LOCK_WAITING`, `LOCK_GRANTED`, `LOCK_REFUSED`), answered by the worker's entry module.
   */
  readonly control: SharedArrayBuffer;
}

export type WorkerMessage =
  | { type: "lock" }
  | { type: "unlock" }
  | { type: "progress"; rows: number; storedBytes: number }
  | {
      type: "done";
      summary: PreprocessSummary | EventLogSummary;
      storedBytes: number;
      trainingBlobId: string;
      holdoutBlobId: string;
    }
  | { type: "rejected"; reason: string }
  | { type: "aborted" }
  | { type: "failed"; name: string; message: string; code?: string; stack?: string };

export type WorkerOutcome =
  | {
      type: "done";
      summary: PreprocessSummary | EventLogSummary;
      trainingBlobId: string;
      holdoutBlobId: string;
    }
  | { type: "rejected"; reason: string };

export interface PreprocessWorkerOptions {
  /** The SQLite database file the worker opens (the core's own). */
  readonly sqliteFilename: string;
  /** Stored files smaller than this are preprocessed in-process. Default 16 MiB. */
  readonly minBytes?: number;
}

/** Below this, starting a thread (~0.2 CPU-seconds) costs more than it saves. */
export const DEFAULT_WORKER_MIN_BYTES = 16 * 1024 * 1024;

/**
 * The options for a knex connected to an SQLite file, read from its configuration; undefined
 * for PostgreSQL and in-memory SQLite (whose database a worker cannot open).
 */
export function workerOptionsFor(db: Knex): PreprocessWorkerOptions | undefined {
  const config = (db as unknown as { client?: { config?: Knex.Config } }).client?.config;
  if (config?.client !== "better-sqlite3") return undefined;
  const filename = (config.connection as { filename?: unknown } | undefined)?.filename;
  if (typeof filename !== "string" || filename === "" || filename === ":memory:") return undefined;
  if (filename.startsWith("file:")) return undefined;
  return { sqliteFilename: filename };
}

/**
 * Starts the worker module `name` (in this directory): compiled JavaScript next to this file,
 * or TypeScript when running from source (tsx, vitest; "tsx" resolved from the working
 * directory).
 */
export function startWorker(
  name: string,
  workerData: unknown,
  resourceLimits?: WorkerOptions["resourceLimits"],
): Worker {
  const self = import.meta.url;
  if (self.endsWith(".ts")) {
    const entry = new URL(`./${name}.ts`, self).href;
    const code = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
    return new Worker(code, { eval: true, workerData, resourceLimits });
  }
  return new Worker(new URL(`./${name}.js`, self), { workerData, resourceLimits });
}

/**
 * The preprocessing worker's young generation, in MB (V8's default is about 48 on 64-bit): the
 * normalizer allocates strings per cell at a high rate, and a young generation that grows to its
 * maximum holds that much garbage (and the dead Buffers behind it) until it is collected. A
 * small one is collected more often, in shorter pauses, at no measurable cost in speed.
 */
export const WORKER_YOUNG_GENERATION_MB = 8;

/**
 * Preprocesses in a worker. Resolves with the outcome (the blobs are complete and durable when
 * `done`); rejects with the worker's error (its `code` kept, so store outages are recognised),
 * or with `signal.reason` once aborted (the worker stops at its next chunk; its incomplete blobs
 * are swept at the next start, as after a crash).
 */
export function preprocessInWorker(
  db: Knex,
  options: PreprocessWorkerOptions,
  raw: {
    rawBlobId: string;
    rawBytes: number;
    caseIdColumn: string;
    holdoutFraction: number;
    definitionJson: string | null;
  },
  signal: AbortSignal,
  onProgress: (progress: { rows: number; storedBytes: number }) => void,
): Promise<WorkerOutcome> {
  const buffer = new SharedArrayBuffer(8);
  const control = new Int32Array(buffer);
  const job: PreprocessJob = { filename: options.sqliteFilename, ...raw, control: buffer };
  return new Promise<WorkerOutcome>((resolve, reject) => {
    signal.throwIfAborted();
    const worker = startWorker("worker-entry", job, {
      maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB,
    });
    const lock = new CoreConnectionLock(db, control);
    let outcome: WorkerOutcome | Error | undefined;
    const onAbort = () => {
      Atomics.store(control, 0, 1);
      // A worker that does not stop soon (stuck on a lock) is terminated.
      setTimeout(() => void worker.terminate(), 10_000).unref();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: WorkerMessage) => {
      switch (message.type) {
        case "lock":
          lock.acquire(signal);
          break;
        case "unlock":
          lock.release();
          break;
        case "progress":
          onProgress(message);
          break;
        case "done":
          onProgress({ rows: message.summary.rows, storedBytes: message.storedBytes });
          outcome = {
            type: "done",
            summary: message.summary,
            trainingBlobId: message.trainingBlobId,
            holdoutBlobId: message.holdoutBlobId,
          };
          break;
        case "rejected":
          outcome = message;
          break;
        case "aborted":
          // Asked to stop, or refused the connection because the store is closing (retried).
          outcome = signal.aborted
            ? signal.reason instanceof Error
              ? signal.reason
              : new Error("aborted")
            : new Error("the database connection is closed: preprocessing stopped");
          break;
        case "failed":
          outcome = Object.assign(new Error(message.message), {
            name: message.name,
            code: message.code,
            stack: message.stack,
          });
          break;
      }
    });
    worker.once("error", (error) => {
      outcome ??= error;
    });
    worker.once("exit", (code) => {
      signal.removeEventListener("abort", onAbort);
      lock.release();
      if (outcome === undefined) {
        outcome = signal.aborted
          ? (signal.reason as Error)
          : new Error(`the preprocessing worker exited with code ${code}`);
      }
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    });
  });
}
