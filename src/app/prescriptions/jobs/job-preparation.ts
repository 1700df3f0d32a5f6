/**
 * Prepares prescription jobs in the background, one at a time, in arrival order (see prepareJob).
 * A replica claims a job before preparing it (`prescription_jobs.preparing_replica`), so with
 * several replicas exactly one works on it. A job whose preparation did not finish (crash,
 * shutdown, database outage) stays PREPARING and is picked up by `resumePending()`: at start,
 * and with every heartbeat on PostgreSQL (the jobs of replicas that died).
 */
import type { Knex } from "knex";
import { isStoreUnavailable } from "../../../domain/errors.js";
import type { Logger } from "../../../logger.js";
import { inTransaction } from "../../../store/commits/transactions.js";
import type { ClaimContext } from "../../../store/sql/claims.js";
import {
  claimJobPreparation,
  listUnclaimedPreparing,
  lockJob,
  recordPreparedJob,
} from "../../../store/sql/prescription-jobs.js";
import type { ChangeFeed } from "../../change-feed/change-feed.js";
import { prepareJob } from "./prepare-job.js";

const maxRetryDelayMs = 30_000;

export interface JobPreparationDeps {
  readonly db: Knex;
  readonly feed: ChangeFeed;
  readonly logger: Logger;
  readonly prescriptionTimeoutMs: number;
  readonly claims: () => ClaimContext;
}

export class JobPreparation {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private running: Promise<void> | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly deps: JobPreparationDeps) {}

  enqueue(jobId: string): void {
    if (this.abort.signal.aborted || this.queued.has(jobId)) return;
    this.queued.add(jobId);
    this.queue.push(jobId);
    this.running ??= this.work();
  }

  /** Queues every PREPARING job no live replica works on. */
  async resumePending(): Promise<void> {
    if (this.abort.signal.aborted) return;
    for (const id of await listUnclaimedPreparing(this.deps.db, this.deps.claims())) {
      this.enqueue(id);
    }
  }

  /** Abandons the running preparation (it is redone later) and waits for it to stop. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** Resolves once the queue is empty (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async work(): Promise<void> {
    let retryDelayMs = 500;
    const signal = this.abort.signal;
    while (this.queue.length > 0 && !signal.aborted) {
      const jobId = this.queue[0] as string;
      try {
        if (await claimJobPreparation(this.deps.db, this.deps.claims(), jobId)) {
          await prepareJob({ ...this.deps, signal }, jobId);
        }
        retryDelayMs = 500;
      } catch (error) {
        if (signal.aborted) break;
        if (isStoreUnavailable(error)) {
          this.deps.logger.warn(
            { err: error, jobId, retryDelayMs },
            "database unavailable; will retry the job's preparation",
          );
          await sleep(retryDelayMs, signal);
          retryDelayMs = Math.min(retryDelayMs * 2, maxRetryDelayMs);
          continue;
        }
        this.deps.logger.error({ err: error, jobId }, "job preparation failed unexpectedly");
        await this.fail(jobId).catch((failError: unknown) =>
          this.deps.logger.error({ err: failError, jobId }, "could not record the failure"),
        );
      }
      this.queue.shift();
      this.queued.delete(jobId);
    }
    this.running = undefined;
  }

  private async fail(jobId: string): Promise<void> {
    await inTransaction(this.deps.db, async ({ trx, afterCommit }) => {
      const locked = await lockJob(trx, jobId);
      if (locked?.status !== "PREPARING") return;
      const nowMs = Date.now();
      await recordPreparedJob(
        trx,
        jobId,
        {
          status: "ERROR",
          error: "preparation failed: internal error (see the core's log)",
          cases_blob_id: null,
          cases: 0,
          finished_ms: nowMs,
        },
        nowMs,
      );
      afterCommit(() => this.deps.feed.jobChanged(jobId));
    });
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
