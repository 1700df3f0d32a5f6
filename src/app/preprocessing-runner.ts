/**
 * Runs preprocessing in the background, one project at a time, in arrival order. On success one
 * transaction records the dataset and creates a WAITING assignment per target plugin; on a bad
 * dataset one transaction puts the project in ERROR. A project whose preprocessing did not
 * finish (crash, shutdown, database outage) stays PREPROCESSING without a dataset and is picked
 * up again by `resumePending()` at the next start.
 *
 * A replica claims a project before preprocessing it (projects.preprocessing_replica), so with
 * several replicas exactly one works on it; `resumePending()` also runs with every heartbeat and
 * takes over the projects of replicas that died.
 */
import type { Knex } from "knex";
import type { PhaseTimeouts } from "../domain/deadlines.js";
import type { Logger } from "../logger.js";
import type { ProjectRow } from "../store/rows.js";
import { blobSizes, insertCompleteBlob, newBlobId, readBlobChunks } from "../store/sql/blobs.js";
import {
  type ClaimContext,
  claimPreprocessing,
  listUnclaimedPreprocessing,
} from "../store/sql/claims.js";
import { findProject, recordPreprocessingProgress } from "../store/sql/projects.js";
import { BlobWriter } from "./blob-writer.js";
import type { ChangeFeed } from "./change-feed.js";
import { CompressedFileError, datasetBytes } from "./dataset-source.js";
import { isStoreUnavailable } from "./errors.js";
import type { CoreMetrics } from "./metrics.js";
import { DatasetError, type PreprocessSummary, preprocessDataset } from "./preprocess/index.js";
import { MemoryOutput, OutputBudget, OutputBudgetExceeded } from "./preprocess/memory-output.js";
import {
  DEFAULT_WORKER_MIN_BYTES,
  type PreprocessWorkerOptions,
  preprocessInWorker,
  workerOptionsFor,
} from "./preprocess-in-worker.js";
import { PreprocessingOutcomes } from "./preprocessing-outcomes.js";

const maxRetryDelayMs = 30_000;

/**
 * Stored files up to this size are preprocessed into memory and stored with the dataset in one
 * transaction (one commit, one fsync on SQLite) instead of a commit per blob step: the
 * commits, not the bytes, are what small datasets cost, and on SQLite every one of them holds
 * the event loop. 4 MiB keeps the memory of that path small (the one project preprocessed at a
 * time holds at most a page of the stored file, 4 MiB, plus its outputs, see below) and is
 * well below the worker thread's threshold (16 MiB); above it, a file takes long enough to
 * parse that a few commits more make no difference.
 */
export const SMALL_FILE_MAX_BYTES = 4 * 1024 * 1024;
/**
 * The most both outputs of a small file may hold in memory together: the training and holdout
 * files together are about as large as the input (the rows once, a header each), so twice the
 * bound leaves room for quoting; a file that expands beyond it (gzip) is preprocessed again the
 * streaming way.
 */
const SMALL_OUTPUT_BUDGET_BYTES = 2 * SMALL_FILE_MAX_BYTES;
/** Stored chunk rows: the 1 MiB rows BlobWriter writes, so the blob format is the same. */
const CHUNK_ROW_BYTES = 1024 * 1024;

/** Stores the outputs inside the transaction that records the dataset. */

export class PreprocessingRunner {
  private readonly outcomes: PreprocessingOutcomes;
  private readonly queue: number[] = [];
  private readonly queued = new Set<number>();
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(
    private readonly db: Knex,
    private readonly feed: ChangeFeed,
    private readonly logger: Logger,
    timeouts: PhaseTimeouts,
    private readonly claims: () => ClaimContext,
    private readonly metrics?: CoreMetrics,
  ) {
    this.outcomes = new PreprocessingOutcomes(db, feed, timeouts, claims);
  }

  enqueue(projectId: number): void {
    if (this.abort.signal.aborted || this.queued.has(projectId)) return;
    this.queued.add(projectId);
    this.queue.push(projectId);
    this.running ??= this.work();
  }

  /** Queues every project whose preprocessing never finished and no live replica works on. */
  async resumePending(): Promise<void> {
    if (this.abort.signal.aborted) return;
    for (const id of await listUnclaimedPreprocessing(this.db, this.claims())) this.enqueue(id);
  }

  /** Abandons the running job (it is redone at the next start) and waits for it to stop. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** Resolves once the queue is empty (for tests and benchmarks). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async work(): Promise<void> {
    let retryDelayMs = 500;
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      const projectId = this.queue[0] as number;
      try {
        // Another replica may have it (it was enqueued there too, or taken over meanwhile).
        if (await claimPreprocessing(this.db, this.claims(), projectId)) {
          await this.preprocess(projectId);
        }
        retryDelayMs = 500;
      } catch (error) {
        if (this.abort.signal.aborted) break;
        if (isStoreUnavailable(error)) {
          this.logger.warn(
            { err: error, projectId, retryDelayMs },
            "database unavailable; will retry preprocessing",
          );
          await sleep(retryDelayMs, this.abort.signal);
          retryDelayMs = Math.min(retryDelayMs * 2, maxRetryDelayMs);
          continue;
        }
        this.logger.error({ err: error, projectId }, "preprocessing failed unexpectedly");
        await this.outcomes
          .fail(projectId, "preprocessing failed: internal error (see the core's log)")
          .catch((failError: unknown) =>
            this.logger.error({ err: failError, projectId }, "could not record the failure"),
          );
      }
      this.queue.shift();
      this.queued.delete(projectId);
    }
    this.running = undefined;
  }

  private async preprocess(projectId: number): Promise<void> {
    const project = await findProject(this.db, projectId);
    if (project?.status !== "PREPROCESSING" || project.preprocessed_ms !== null) return;
    const log = this.logger.child({ projectId });
    const started = Date.now();
    const rawBytes =
      (await blobSizes(this.db, [project.raw_blob_id])).get(project.raw_blob_id) ?? 0;
    const worker = this.workerFor(rawBytes);
    if (worker) {
      await this.preprocessInWorker(project, worker, log, started);
      return;
    }
    if (rawBytes <= SMALL_FILE_MAX_BYTES && (await this.preprocessSmall(project, log, started))) {
      return;
    }
    const writer = this.claims().replicaId;
    const training = await BlobWriter.create(this.db, "td", started, "", writer);
    const holdout = await BlobWriter.create(this.db, "ho", started, "", writer);
    let storedBytes = 0;
    const source = datasetBytes(
      abortable(readBlobChunks(this.db, project.raw_blob_id), this.abort.signal),
      (bytes) => {
        this.metrics?.preprocessingRead(bytes - storedBytes);
        storedBytes = bytes;
      },
    );
    let summary: PreprocessSummary;
    try {
      summary = await preprocessDataset(
        source,
        {
          caseIdColumn: project.requested_case_id_column,
          holdoutFraction: project.holdout_fraction,
          onProgress: ({ rows }) => this.reportProgress(projectId, rows, storedBytes),
        },
        { training, holdout },
      );
    } catch (error) {
      if (!(error instanceof DatasetError || error instanceof CompressedFileError)) throw error;
      log.info({ reason: error.message }, "dataset rejected");
      await this.progressWrite;
      await Promise.all([training.discard(), holdout.discard()]);
      await this.outcomes.fail(projectId, `dataset: ${error.message}`);
      return;
    }
    await this.progressWrite;
    await training.finish();
    await holdout.finish();
    await this.outcomes.recordSuccess(project, summary, training.id, holdout.id);
    log.info({ ...summary, columns: undefined, ms: Date.now() - started }, "dataset preprocessed");
  }

  /**
   * A small file: the same pipeline into memory, then both output blobs (complete, in the same
   * rows as BlobWriter's) and the dataset, assignments and events in one transaction. No
   * progress is reported while it runs (it takes milliseconds); the final counts are stored
   * with the dataset. Returns false, having stored nothing, when the outputs outgrow their
   * budget (a small gzip file expanding): the caller then streams the file instead.
   */
  private async preprocessSmall(project: ProjectRow, log: Logger, started: number) {
    const budget = new OutputBudget(SMALL_OUTPUT_BUDGET_BYTES);
    const training = new MemoryOutput(budget);
    const holdout = new MemoryOutput(budget);
    let storedBytes = 0;
    const source = datasetBytes(
      abortable(readBlobChunks(this.db, project.raw_blob_id), this.abort.signal),
      (bytes) => {
        storedBytes = bytes;
      },
    );
    let summary: PreprocessSummary;
    try {
      summary = await preprocessDataset(
        source,
        {
          caseIdColumn: project.requested_case_id_column,
          holdoutFraction: project.holdout_fraction,
        },
        { training, holdout },
      );
    } catch (error) {
      if (error instanceof OutputBudgetExceeded) {
        log.info({ storedBytes }, "outputs too large for memory; preprocessing streamed");
        return false;
      }
      if (!(error instanceof DatasetError || error instanceof CompressedFileError)) throw error;
      this.metrics?.preprocessingRead(storedBytes);
      log.info({ reason: error.message }, "dataset rejected");
      await this.outcomes.fail(project.id, `dataset: ${error.message}`);
      return true;
    }
    this.metrics?.preprocessingRead(storedBytes);
    const writerReplica = this.claims().replicaId;
    const outputs = [
      { id: newBlobId("td"), file: training.finish(CHUNK_ROW_BYTES) },
      { id: newBlobId("ho"), file: holdout.finish(CHUNK_ROW_BYTES) },
    ] as const;
    await this.outcomes.recordSuccess(
      project,
      summary,
      outputs[0].id,
      outputs[1].id,
      async (trx) => {
        for (const { id, file } of outputs) {
          const blob = { id, nowMs: started, writerReplica, ...file };
          await insertCompleteBlob(trx, blob, file.chunks);
        }
        await recordPreprocessingProgress(trx, project.id, {
          rows: summary.rows,
          bytes: storedBytes,
        });
      },
    );
    log.info(
      { ...summary, columns: undefined, ms: Date.now() - started, inMemory: true },
      "dataset preprocessed",
    );
    return true;
  }

  private workerOptions: PreprocessWorkerOptions | false | undefined;

  /**
   * Preprocess large files in a worker thread with its own SQLite connection (SQLite files
   * only), or never (`false`). Without a call, the SQLite file is taken from the knex
   * configuration.
   */
  useWorker(options: PreprocessWorkerOptions | false): void {
    this.workerOptions = options;
  }

  /** The worker options when a stored file of `size` bytes goes to a worker thread. */
  private workerFor(size: number): PreprocessWorkerOptions | undefined {
    const options = this.workerOptions ?? workerOptionsFor(this.db);
    if (!options) return undefined;
    return size >= (options.minBytes ?? DEFAULT_WORKER_MIN_BYTES) ? options : undefined;
  }

  private async preprocessInWorker(
    project: ProjectRow,
    options: PreprocessWorkerOptions,
    log: Logger,
    started: number,
  ): Promise<void> {
    const projectId = project.id;
    let storedBytes = 0;
    const outcome = await preprocessInWorker(
      this.db,
      options,
      {
        rawBlobId: project.raw_blob_id,
        caseIdColumn: project.requested_case_id_column,
        holdoutFraction: project.holdout_fraction,
      },
      this.abort.signal,
      ({ rows, storedBytes: bytes }) => {
        this.metrics?.preprocessingRead(bytes - storedBytes);
        storedBytes = bytes;
        this.reportProgress(projectId, rows, storedBytes);
      },
    );
    await this.progressWrite;
    if (outcome.type === "rejected") {
      log.info({ reason: outcome.reason }, "dataset rejected");
      await this.outcomes.fail(projectId, `dataset: ${outcome.reason}`);
      return;
    }
    // Both blobs are complete and durable (the worker committed that with an fsync).
    await this.outcomes.recordSuccess(
      project,
      outcome.summary,
      outcome.trainingBlobId,
      outcome.holdoutBlobId,
    );
    log.info(
      { ...outcome.summary, columns: undefined, ms: Date.now() - started, worker: true },
      "dataset preprocessed",
    );
  }

  private progressWrite: Promise<void> = Promise.resolve();

  /** Stores progress without holding up the pipeline; a write still running is not doubled. */
  private reportProgress(projectId: number, rows: number, bytes: number): void {
    this.progressWrite = this.progressWrite
      .then(() => recordPreprocessingProgress(this.db, projectId, { rows, bytes }))
      .then(() => this.feed.projectChanged(projectId))
      .catch((error: unknown) =>
        this.logger.warn({ err: error, projectId }, "could not store progress"),
      );
  }
}

async function* abortable<T>(source: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  for await (const item of source) {
    signal.throwIfAborted();
    yield item;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener("abort", wake, { once: true });
  });
}
