/**
 * Worker-thread entry: one preprocessing pass on SQLite (stored file → gunzip when compressed →
 * `preprocessDataset` → training and holdout blobs) with a better-sqlite3 connection of its own,
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
} from "../../../store/blobs/sqlite-blob-writer.js";
import { ABORT, AbortedError, workerWriteLock } from "../../../store/blobs/worker-write-lock.js";
import { newBlobId } from "../../../store/sql/blobs.js";
import { isDatasetRejection, preprocessStoredBytes } from "../pipeline.js";
import type { PreprocessJob, WorkerMessage } from "./start-worker.js";

function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

async function run(job: PreprocessJob): Promise<void> {
  const control = new Int32Array(job.control);
  const lock = workerWriteLock(control, post);
  let db: SqliteDatabase | undefined;
  let written: string[] = [];
  const writers: SqliteBlobWriter[] = [];
  try {
    db = await openBlobConnection(job.filename);
    const training = SqliteBlobWriter.create(db, newBlobId("td"), lock);
    writers.push(training);
    const holdout = SqliteBlobWriter.create(db, newBlobId("ho"), lock);
    writers.push(holdout);
    written = [training.id, holdout.id];
    let storedBytes = 0;
    const chunks = readBlobChunksSync(db, job.rawBlobId, job.rawBytes);
    async function* stored(): AsyncGenerator<Uint8Array> {
      for (const chunk of chunks) {
        if (Atomics.load(control, ABORT) !== 0) throw new AbortedError();
        yield chunk;
      }
    }
    const summary = await preprocessStoredBytes(
      stored(),
      job,
      { training, holdout },
      {
        onStoredBytes: (bytes) => {
          storedBytes = bytes;
        },
        onRows: (rows) => post({ type: "progress", rows, storedBytes }),
      },
    );
    if (Atomics.load(control, ABORT) !== 0) throw new AbortedError();
    const blobs = [training.finishChunks(), holdout.finishChunks()];
    completeBlobsDurably(db, blobs, lock);
    written = [];
    post({
      type: "done",
      summary,
      storedBytes,
      trainingBlobId: training.id,
      holdoutBlobId: holdout.id,
    });
  } catch (error) {
    for (const writer of writers) writer.abandon();
    if (db && written.length > 0 && !(error instanceof AbortedError)) {
      try {
        deleteBlobsSync(db, written, lock);
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

void run(workerData as PreprocessJob);
