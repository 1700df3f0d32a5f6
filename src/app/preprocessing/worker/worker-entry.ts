/**
 * Worker-thread entry: one preprocessing pass on SQLite (stored file → gunzip when compressed →
 * `preprocessDataset`, or the event-log normalizer for a project with a definition → training
 * and holdout blobs) with a better-sqlite3 connection of its own,
 * so that neither the CPU of the pass nor the blob writes hold up the core's event loop. WAL lets
 * the core read beside this connection's writes. The outputs' bytes go to their blob files (see
 * `SqliteBlobWriter`); the connection writes only the blobs' rows. The job is
 * described by `workerData` (a `PreprocessJob`); the worker posts `WorkerMessage`s and ends.
 *
 * Writes take the core's connection first. SQLite has one writer at a time, and the core's knex
 * transactions are deferred (`BEGIN`, then a read, then writes): one whose snapshot is older
 * than a commit of this connection cannot upgrade to a writer and fails with SQLITE_BUSY at
 * once, whatever the busy_timeout. So each write transaction here (a blob's row created,
 * completed or deleted) runs while the main thread holds the core's only pooled connection (`acquireConnection`),
 * i.e. while no core transaction is open; the core's queries wait for it asynchronously, the
 * event loop stays free, and neither side ever sees SQLITE_BUSY. Reads need no lock.
 */
import { parentPort, workerData } from "node:worker_threads";
import {
  completeBlobsDurably,
  deleteBlobsSync,
  openBlobConnection,
  readBlobChunksSync,
  SqliteBlobWriter,
  type SqliteDatabase,
  type WriteLock,
} from "../../../store/blobs/sqlite-blob-writer.js";
import { ABORT, AbortedError, workerWriteLock } from "../../../store/blobs/worker-write-lock.js";
import { newBlobId } from "../../../store/sql/blobs.js";
import type { PreprocessSummary } from "../csv/index.js";
import { isGzip } from "../event-log/dataset-format.js";
import type { EventLogSummary } from "../event-log/normalizer.js";
import { type PassOutputs, preprocessEventLog } from "../event-log-pass.js";
import { isDatasetRejection, preprocessStoredBytes } from "../pipeline.js";
import type { PreprocessJob, WorkerMessage } from "./start-worker.js";

/**
 * An event log is read into this many Buffers in turn, not a fresh one per MiB: its readers
 * are done with a chunk (keeping at most a copy or a view of its last record until the next
 * one) before they ask for the next, and dead input Buffers, promoted to the old generation
 * while the normalizer allocates, would otherwise pile up as external memory until a full
 * collection. Three leave a chunk of margin.
 */
const READ_BUFFERS = 3;

function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

interface BlobSinks {
  readonly training: SqliteBlobWriter;
  readonly holdout: SqliteBlobWriter;
}

async function run(job: PreprocessJob): Promise<void> {
  const control = new Int32Array(job.control);
  const lock = workerWriteLock(control, post);
  let db: SqliteDatabase | undefined;
  /** Every pair of blobs opened and not yet deleted; deleted on failure. */
  const opened = new Set<BlobSinks>();
  try {
    const connection = await openBlobConnection(job.filename);
    db = connection;
    const outputs: PassOutputs<BlobSinks> = {
      open: async () => {
        const training = SqliteBlobWriter.create(connection, newBlobId("td"), lock);
        let holdout: SqliteBlobWriter;
        try {
          holdout = SqliteBlobWriter.create(connection, newBlobId("ho"), lock);
        } catch (error) {
          discardSync(connection, { training, holdout: training }, lock);
          throw error;
        }
        const sinks = { training, holdout };
        opened.add(sinks);
        return sinks;
      },
      // An abandoned pass (an event log whose cases interleave): its blobs are deleted now.
      discard: async (sinks) => {
        opened.delete(sinks);
        discardSync(connection, sinks, lock);
      },
    };
    let storedBytes = 0;
    async function* stored(): AsyncGenerator<Uint8Array> {
      const chunks = readBlobChunksSync(
        connection,
        job.rawBlobId,
        job.rawBytes,
        undefined,
        // The CSV pipeline keeps views of earlier chunks (the last case id's bytes).
        job.definitionJson === null ? 0 : READ_BUFFERS,
      );
      let gzip: boolean | undefined;
      for (const chunk of chunks) {
        if (Atomics.load(control, ABORT) !== 0) throw new AbortedError();
        gzip ??= isGzip(chunk);
        // gunzip's stream reads ahead of what it decompressed: it gets chunks of their own.
        yield gzip ? Buffer.from(chunk) : chunk;
      }
    }
    const hooks = {
      onStoredBytes: (bytes: number) => {
        storedBytes = bytes;
      },
      onRows: (rows: number) => post({ type: "progress", rows, storedBytes }),
    };
    let sinks: BlobSinks;
    let summary: PreprocessSummary | EventLogSummary;
    if (job.definitionJson === null) {
      sinks = await outputs.open();
      summary = await preprocessStoredBytes(stored(), job, sinks, hooks);
    } else {
      ({ summary, sinks } = await preprocessEventLog(
        {
          open: stored,
          definitionJson: job.definitionJson,
          caseIdColumn: job.caseIdColumn,
          holdoutFraction: job.holdoutFraction,
          ...hooks,
        },
        outputs,
      ));
    }
    if (Atomics.load(control, ABORT) !== 0) throw new AbortedError();
    const blobs = [sinks.training.finishChunks(), sinks.holdout.finishChunks()];
    completeBlobsDurably(connection, blobs, lock);
    opened.delete(sinks);
    post({
      type: "done",
      summary,
      storedBytes,
      trainingBlobId: sinks.training.id,
      holdoutBlobId: sinks.holdout.id,
    });
  } catch (error) {
    for (const sinks of opened) {
      sinks.training.abandon();
      sinks.holdout.abandon();
    }
    if (db && opened.size > 0 && !(error instanceof AbortedError)) {
      try {
        deleteBlobsSync(
          db,
          [...opened].flatMap((sinks) => [sinks.training.id, sinks.holdout.id]),
          lock,
        );
      } catch {
        // Left incomplete: swept at the next start.
      }
    }
    if (error instanceof AbortedError) post({ type: "aborted" });
    else if (isDatasetRejection(error)) {
      post({ type: "rejected", reason: error.message });
    } else {
      const e = error as Error & { code?: unknown };
      post({
        type: "failed",
        name: e?.name ?? "Error",
        message: e?.message ?? String(error),
        code: typeof e?.code === "string" ? e.code : undefined,
        stack: e?.stack,
      });
    }
  } finally {
    db?.close();
  }
}

function discardSync(db: SqliteDatabase, sinks: BlobSinks, lock: WriteLock): void {
  sinks.training.abandon();
  sinks.holdout.abandon();
  deleteBlobsSync(db, [...new Set([sinks.training.id, sinks.holdout.id])], lock);
}

void run(workerData as PreprocessJob);
