/**
 * Runs preprocessing in the background, one project at a time, in arrival order. On success one
 * transaction records the dataset and creates a WAITING membership per target plugin; on a bad
 * dataset one transaction puts the project in ERROR. A project whose preprocessing did not
 * finish (crash, shutdown, database outage) stays PREPROCESSING without a dataset and is picked
 * up again by `resumePending()` at the next start.
 *
 * A replica claims a project before preprocessing it (projects.preprocessing_replica), so with
 * several replicas exactly one works on it; `resumePending()` also runs with every heartbeat and
 * takes over the projects of replicas that died.
 *
 * A project deleted while it is preprocessed (DeleteProject, on any replica: the change feed says
 * so) stops its pass at the next chunk; what the pass wrote is discarded, as on any failure, and
 * nothing is recorded.
 *
 * Each project takes one of three paths, by the size of its stored file: a worker thread
 * (large files on SQLite), the small-file path
 * (up to 4 MiB) or the streamed one.
 */
import type { Knex } from "knex";
import type { PhaseTimeouts } from "../../domain/deadlines.js";
import { isStoreUnavailable } from "../../domain/errors.js";
import type { Logger } from "../../logger.js";
import { blobSizes } from "../../store/sql/blobs.js";
import {
  type ClaimContext,
  claimPreprocessing,
  listUnclaimedPreprocessing,
} from "../../store/sql/claims.js";
import { findProject } from "../../store/sql/projects.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";
import type { CoreMetrics } from "../metrics/core-metrics.js";
import type { PreprocessingContext } from "./context.js";
import { PreprocessingOutcomes } from "./outcomes.js";
import { PreprocessingProgress } from "./progress.js";
import { preprocessSmallFile, SMALL_FILE_MAX_BYTES } from "./small-file-path.js";
import { preprocessStreamed } from "./streamed-path.js";
import type { PreprocessWorkerOptions } from "./worker/start-worker.js";
import { preprocessWithWorker, workerForSize } from "./worker-path.js";

const maxRetryDelayMs = 30_000;

export interface PreprocessingRunnerDeps {
  readonly db: Knex;
  readonly feed: ChangeFeed;
  readonly logger: Logger;
  /** Counts the stored bytes read. */
  readonly metrics: CoreMetrics;
  readonly timeouts: PhaseTimeouts;
  /** This replica's claim context, current at each call. */
  readonly claims: () => ClaimContext;
}

export class PreprocessingRunner {
  private readonly outcomes: PreprocessingOutcomes;
  private readonly context: PreprocessingContext;
  private readonly queue: number[] = [];
  private readonly queued = new Set<number>();
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly deps: PreprocessingRunnerDeps) {
    this.outcomes = new PreprocessingOutcomes(deps);
    this.context = {
      db: deps.db,
      outcomes: this.outcomes,
      progress: new PreprocessingProgress(deps),
      claims: deps.claims,
      metrics: deps.metrics,
      signal: this.abort.signal,
    };
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
    for (const id of await listUnclaimedPreprocessing(this.deps.db, this.deps.claims()))
      this.enqueue(id);
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
        if (await claimPreprocessing(this.deps.db, this.deps.claims(), projectId)) {
          await this.preprocess(projectId);
        }
        retryDelayMs = 500;
      } catch (error) {
        if (this.abort.signal.aborted) break;
        if (isStoreUnavailable(error)) {
          this.deps.logger.warn(
            { err: error, projectId, retryDelayMs },
            "database unavailable; will retry preprocessing",
          );
          await sleep(retryDelayMs, this.abort.signal);
          retryDelayMs = Math.min(retryDelayMs * 2, maxRetryDelayMs);
          continue;
        }
        if (!(await findProject(this.deps.db, projectId).catch(() => true))) {
          this.deps.logger.info({ projectId }, "project deleted while preprocessed: stopped");
          this.queue.shift();
          this.queued.delete(projectId);
          continue;
        }
        this.deps.logger.error({ err: error, projectId }, "preprocessing failed unexpectedly");
        await this.outcomes
          .fail(projectId, "preprocessing failed: internal error (see the core's log)")
          .catch((failError: unknown) =>
            this.deps.logger.error({ err: failError, projectId }, "could not record the failure"),
          );
      }
      this.queue.shift();
      this.queued.delete(projectId);
    }
    this.running = undefined;
  }

  /**
   * Preprocesses the project, stopping at the next chunk once it is deleted: every change
   * notification of the project (progress included, every few MiB) asks whether it still exists.
   */
  private async preprocess(projectId: number): Promise<void> {
    const deleted = new AbortController();
    let checking = false;
    const check = () => {
      if (checking || deleted.signal.aborted) return;
      checking = true;
      findProject(this.deps.db, projectId)
        .then((row) => {
          if (!row) deleted.abort(new Error(`project ${projectId} was deleted`));
        })
        .catch(() => {})
        .finally(() => {
          checking = false;
        });
    };
    const unsubscribe = this.deps.feed.onProjectChanged(projectId, check);
    try {
      await this.preprocessUntil(projectId, {
        ...this.context,
        signal: AbortSignal.any([this.abort.signal, deleted.signal]),
      });
    } finally {
      unsubscribe();
    }
  }

  /** Preprocesses the project by the path that fits its stored file (see the path modules). */
  private async preprocessUntil(projectId: number, context: PreprocessingContext): Promise<void> {
    const project = await findProject(this.deps.db, projectId);
    if (project?.status !== "PREPROCESSING" || project.preprocessed_ms !== null) return;
    const rawBytes =
      (await blobSizes(this.deps.db, [project.raw_blob_id])).get(project.raw_blob_id) ?? 0;
    const job = {
      project,
      rawBytes,
      log: this.deps.logger.child({ projectId }),
      started: Date.now(),
    };
    const worker = workerForSize(this.workerOptions, this.deps.db, rawBytes);
    if (worker) {
      await preprocessWithWorker(context, job, worker);
      return;
    }
    if (rawBytes <= SMALL_FILE_MAX_BYTES && (await preprocessSmallFile(context, job))) {
      return;
    }
    await preprocessStreamed(context, job);
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
