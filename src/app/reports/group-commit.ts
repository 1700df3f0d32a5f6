/**
 * Group commit: units of work that arrive while a transaction is running are queued and then
 * run together in the next one, so many plugin reports share one commit (one fsync) while each
 * caller still learns its result only after that commit. A unit that throws rolls its batch
 * back; the batch is then retried one unit per transaction, so one bad unit never fails others.
 *
 * Plugin reports (`report`) are not run one by one: consecutive reports of a batch are applied
 * together (see applyReports), with a few statements for all of them instead of ~5 each. A batch
 * of reports alone runs on the driver connection, on SQLite without knex's transaction
 * machinery (PipelinedCommits.runOnDriver); a batch with units of work runs in a knex
 * transaction, which they are given.
 */
import type { Knex } from "knex";
import type { Logger } from "../../logger.js";
import {
  type PipelinedCommits,
  pipelinedCommitsOf,
} from "../../store/commits/pipelined-commits.js";
import type { ReportContext, WorkContext } from "../../store/commits/transactions.js";
import { type DriverConnection, driverOf } from "../../store/sql/prepared.js";
import { type LockedReportTargets, lockProjectsWithMemberships } from "../../store/sql/projects.js";
import type { CoreMetrics } from "../metrics/core-metrics.js";
import {
  applyReports,
  type ReportDeps,
  type ReportItem,
  type ReportResult,
} from "./plugin-reports.js";
import { type ReportInput, refusalOf } from "./report-checks.js";

export type Work<T> = (ctx: WorkContext) => Promise<T>;
/**
 * Applies consecutive units of one kind together in the batch's transaction (a few statements
 * for all of them); one result per item, in order.
 */
export interface BatchHandler<I, R> {
  apply(ctx: ReportContext, items: readonly I[]): Promise<R[]>;
}

/** Work written against the driver connection (prepared statements, no query builder). */
export type DriverWork<T> = (ctx: ReportContext) => Promise<T>;

type Unit =
  | {
      readonly kind: "work";
      readonly work: Work<unknown>;
      /** Project rows the work changes: locked in ascending order before any work runs. */
      readonly projectIds: readonly number[];
    }
  | {
      readonly kind: "driver-work";
      readonly work: DriverWork<unknown>;
      readonly projectIds: readonly number[];
    }
  | {
      readonly kind: "batched";
      readonly handler: BatchHandler<unknown, unknown>;
      readonly item: unknown;
      readonly projectIds: readonly number[];
    }
  | { readonly kind: "report"; readonly item: ReportItem };

type Resolve = (value: unknown) => void;

type Pending = Unit & {
  resolve: Resolve;
  reject(error: unknown): void;
};

export interface GroupCommitterDeps {
  readonly db: Knex;
  readonly logger: Logger;
  /** Times each transaction and counts its batch. */
  readonly metrics: CoreMetrics;
  /** Most units in one transaction (default 256). */
  readonly maxBatch?: number;
  /**
   * How long an idle committer waits for more units to join the first one (ms, default 0).
   * 0: only what arrives in the same turn of the event loop. Under load, units queue up behind
   * the running transaction anyway.
   */
  readonly windowMs?: number;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;
  /** The last committed batch's wait for the disk (they settle in commit order). */
  private lastDurable: Promise<void> = Promise.resolve();
  private readonly commits: PipelinedCommits;
  private readonly logger: Logger;
  private readonly metrics: CoreMetrics;
  private readonly maxBatch: number;
  private readonly windowMs: number;

  constructor(deps: GroupCommitterDeps) {
    this.commits = pipelinedCommitsOf(deps.db);
    this.logger = deps.logger;
    this.metrics = deps.metrics;
    this.maxBatch = deps.maxBatch ?? 256;
    this.windowMs = deps.windowMs ?? 0;
  }

  run<T>(work: Work<T>, projectIds: readonly number[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue({ kind: "work", work, projectIds, resolve: resolve as Resolve, reject });
    });
  }

  /**
   * `run` for work on the driver connection: a batch of such units and reports commits without
   * knex's transaction machinery (on SQLite), which costs more than a short unit itself.
   */
  runOnDriver<T>(work: DriverWork<T>, projectIds: readonly number[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.enqueue({
        kind: "driver-work",
        work: work as DriverWork<unknown>,
        projectIds,
        resolve: resolve as Resolve,
        reject,
      });
    });
  }

  /**
   * Applies `item` in the next batch together with the other items of `handler` next to it
   * (on the driver connection, like `runOnDriver`); resolves with its result once committed.
   */
  runBatched<I, R>(
    handler: BatchHandler<I, R>,
    item: I,
    projectIds: readonly number[] = [],
  ): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.enqueue({
        kind: "batched",
        handler: handler as BatchHandler<unknown, unknown>,
        item,
        projectIds,
        resolve: resolve as Resolve,
        reject,
      });
    });
  }

  /**
   * Applies one plugin report in the next batch; resolves with its result once committed. A
   * malformed report is answered at once (nothing to store).
   */
  report(deps: ReportDeps, reporterKey: string, input: ReportInput): Promise<ReportResult> {
    const refusal = refusalOf(input);
    if (refusal) return Promise.resolve(refusal);
    return new Promise<ReportResult>((resolve, reject) => {
      const item = { deps, reporterKey, input };
      this.enqueue({ kind: "report", item, resolve: resolve as Resolve, reject });
    });
  }

  /** Resolves once everything queued so far has been committed (and synced) or failed. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.lastDurable;
  }

  private enqueue(pending: Pending): void {
    this.queue.push(pending);
    this.flushing ??= this.flushAll();
  }

  private async flushAll(): Promise<void> {
    // Let the reports that arrive in the same tick (or window) join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.windowMs > 0 && this.queue.length < this.maxBatch) {
      await new Promise<void>((resolve) => setTimeout(resolve, this.windowMs));
    }
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      await this.commitBatch(batch);
    }
    this.flushing = undefined;
  }

  /**
   * Runs a batch in one transaction and returns once it committed; its units learn their
   * results (and its after-commit effects run) once the commit is durable, while the next
   * batch already runs.
   */
  private async commitBatch(batch: Pending[]): Promise<void> {
    const results: unknown[] = new Array(batch.length);
    const started = performance.now();
    const effects: (() => void)[] = [];
    const afterCommit = (effect: () => void) => effects.push(effect);
    let durable: Promise<void>;
    try {
      // Reports alone need no knex transaction (units of work are given one).
      ({ durable } = batch.every((pending) => pending.kind !== "work")
        ? await this.commits.runOnDriver((conn) =>
            applyBatch(batch, results, { conn, afterCommit }),
          )
        : await this.commits.run(async (trx) =>
            applyBatch(batch, results, { conn: await driverOf(trx), afterCommit }, trx),
          ));
    } catch (error) {
      this.metrics.transaction((performance.now() - started) / 1000, batch.length, false);
      if (batch.length === 1) {
        (batch[0] as Pending).reject(error);
        return;
      }
      this.logger.warn({ err: error, batch: batch.length }, "batch failed; retrying one by one");
      for (const pending of batch) await this.commitBatch([pending]);
      return;
    }
    this.lastDurable = durable.then(
      () => {
        this.metrics.transaction((performance.now() - started) / 1000, batch.length, true);
        for (const effect of effects) effect();
        for (const [i, pending] of batch.entries()) pending.resolve(results[i]);
      },
      (error: unknown) => {
        // Committed but maybe not on disk: nothing of it may be acknowledged.
        this.metrics.transaction((performance.now() - started) / 1000, batch.length, false);
        this.logger.error({ err: error, batch: batch.length }, "could not sync a commit to disk");
        for (const pending of batch) pending.reject(error);
      },
    );
  }
}

/**
 * Applies a batch's units in order in the open transaction, their results into `results`.
 * `trx`: the knex transaction, which units of work need.
 */
async function applyBatch(
  batch: readonly Pending[],
  results: unknown[],
  ctx: ReportContext,
  trx?: Knex.Transaction,
): Promise<void> {
  // The batch's projects, locked in ascending order first (PostgreSQL); as long as no other
  // unit ran, the rows read with the locks (and their memberships) serve the reports too.
  let locked = await lockInOrder(ctx.conn, batch);
  for (let i = 0; i < batch.length; ) {
    const pending = batch[i] as Pending;
    if (pending.kind === "work") {
      if (!trx) throw new Error("a unit of work needs a knex transaction");
      results[i++] = await pending.work({ trx, afterCommit: ctx.afterCommit });
      locked = undefined;
      continue;
    }
    if (pending.kind === "driver-work") {
      results[i++] = await pending.work(ctx);
      locked = undefined;
      continue;
    }
    if (pending.kind === "batched") {
      const handler = pending.handler;
      let end = i + 1;
      while (end < batch.length) {
        const next = batch[end] as Pending;
        if (next.kind !== "batched" || next.handler !== handler) break;
        end++;
      }
      const items = batch.slice(i, end).map((p) => (p as { item: unknown }).item);
      const out = await handler.apply(ctx, items);
      for (const result of out) results[i++] = result;
      locked = undefined;
      continue;
    }
    let end = i + 1;
    while (end < batch.length && batch[end]?.kind === "report") end++;
    const items = batch.slice(i, end).map((p) => (p as { item: ReportItem }).item);
    const out = await applyReports(ctx, items, Date.now(), locked);
    for (const result of out) results[i++] = result;
  }
}

function projectIdsOf(pending: Pending): readonly number[] {
  return pending.kind === "report" ? [pending.item.input.projectId] : pending.projectIds;
}

/**
 * PostgreSQL: locks the batch's project rows in ascending id order, so two batches never wait
 * for each other in a cycle, and reads them with their memberships: one statement for the
 * whole batch. SQLite serializes transactions anyway: nothing to do.
 */
async function lockInOrder(
  conn: DriverConnection,
  batch: readonly Pending[],
): Promise<LockedReportTargets | undefined> {
  if (conn.dialect !== "postgres") return undefined;
  const ids = [...new Set(batch.flatMap(projectIdsOf))].filter(
    (id) => Number.isSafeInteger(id) && id > 0,
  );
  return lockProjectsWithMemberships(conn, ids);
}
