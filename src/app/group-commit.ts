/**
 * Group commit: units of work that arrive while a transaction is running are queued and then
 * run together in the next one, so many plugin reports share one commit (one fsync) while each
 * caller still learns its result only after that commit. A unit that throws rolls its batch
 * back; the batch is then retried one unit per transaction, so one bad unit never fails others.
 */
import type { Knex } from "knex";
import type { Logger } from "../logger.js";
import { lockProject } from "../store/sql/projects.js";
import { CoreMetrics } from "./metrics.js";
import { inTransaction, type WorkContext } from "./transactions.js";

export type Work<T> = (ctx: WorkContext) => Promise<T>;

interface Pending {
  readonly work: Work<unknown>;
  /** Project rows the work changes: locked in ascending order before any work runs. */
  readonly projectIds: readonly number[];
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class GroupCommitter {
  private queue: Pending[] = [];
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly db: Knex,
    private readonly logger: Logger,
    private readonly metrics = new CoreMetrics(),
    private readonly maxBatch = 256,
  ) {}

  run<T>(work: Work<T>, projectIds: readonly number[] = []): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, projectIds, resolve: resolve as (v: unknown) => void, reject });
      this.flushing ??= this.flushAll();
    });
  }

  /** Resolves once everything queued so far has been committed or failed. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushAll(): Promise<void> {
    // Let the reports that arrive in the same tick join the first batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      await this.commitBatch(batch);
    }
    this.flushing = undefined;
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      await this.commitAlone(batch[0] as Pending);
      return;
    }
    const results: unknown[] = [];
    const effects: (() => void)[][] = batch.map(() => []);
    const started = performance.now();
    try {
      await inTransaction(this.db, async ({ trx }) => {
        await lockInOrder(
          trx,
          batch.flatMap((p) => p.projectIds),
        );
        for (const [i, pending] of batch.entries()) {
          const own = effects[i] as (() => void)[];
          results.push(await pending.work({ trx, afterCommit: (effect) => own.push(effect) }));
        }
      });
    } catch (error) {
      this.metrics.transaction((performance.now() - started) / 1000, batch.length, false);
      this.logger.warn({ err: error, batch: batch.length }, "batch failed; retrying one by one");
      for (const pending of batch) await this.commitAlone(pending);
      return;
    }
    this.metrics.transaction((performance.now() - started) / 1000, batch.length, true);
    for (const [i, pending] of batch.entries()) {
      for (const effect of effects[i] as (() => void)[]) effect();
      pending.resolve(results[i]);
    }
  }

  private async commitAlone(pending: Pending): Promise<void> {
    const started = performance.now();
    try {
      const result = await inTransaction(this.db, async (ctx) => {
        await lockInOrder(ctx.trx, pending.projectIds);
        return pending.work(ctx);
      });
      this.metrics.transaction((performance.now() - started) / 1000, 1, true);
      pending.resolve(result);
    } catch (error) {
      this.metrics.transaction((performance.now() - started) / 1000, 1, false);
      pending.reject(error);
    }
  }
}

/**
 * PostgreSQL: locks the batch's project rows in ascending id order, so two batches never wait
 * for each other in a cycle; one statement for the whole batch (ORDER BY ... FOR UPDATE locks
 * the rows in the order it returns them). SQLite serializes transactions anyway.
 */
async function lockInOrder(trx: Knex.Transaction, projectIds: readonly number[]): Promise<void> {
  if (trx.client.config.client !== "pg") return;
  const ids = [...new Set(projectIds)].sort((a, b) => a - b);
  if (ids.length === 1) await lockProject(trx, ids[0] as number);
  else if (ids.length > 1) {
    await trx("projects").select("id").whereIn("id", ids).orderBy("id").forUpdate();
  }
}
