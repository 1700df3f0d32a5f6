import type { Knex } from "knex";
import { type DriverConnection, driverOf } from "../sql/prepared.js";
import { type Committed, pipelinedCommitsOf } from "./pipelined-commits.js";

/** What a unit of work sees: the open transaction and a way to act once it committed. */
export interface WorkContext {
  readonly trx: Knex.Transaction;
  afterCommit(effect: () => void): void;
}

/**
 * What applying plugin reports sees: the open transaction's connection (the group committer
 * may have begun it through the driver, without knex) and a way to act once it committed.
 */
export interface ReportContext {
  readonly conn: DriverConnection;
  afterCommit(effect: () => void): void;
}

/** The ReportContext of a unit of work's transaction. */
export async function reportContextOf(ctx: WorkContext): Promise<ReportContext> {
  return { conn: await driverOf(ctx.trx), afterCommit: (effect) => ctx.afterCommit(effect) };
}

/** Resolves with the committed result once its commit is durable, after running `effects`. */
async function whenDurable<T>(committed: Promise<Committed<T>>, effects: (() => void)[]) {
  const { result, durable } = await committed;
  await durable;
  for (const effect of effects) effect();
  return result;
}

/**
 * Runs `work` in one transaction; resolves, and runs its after-commit effects, once the commit
 * is durable (on SQLite the disk flush runs off the event loop: see `PipelinedCommits`).
 */
export function inTransaction<T>(db: Knex, work: (ctx: WorkContext) => Promise<T>): Promise<T> {
  const effects: (() => void)[] = [];
  const afterCommit = (effect: () => void) => effects.push(effect);
  return whenDurable(
    pipelinedCommitsOf(db).run((trx) => work({ trx, afterCommit })),
    effects,
  );
}

/**
 * inTransaction for work written against the driver connection (prepared statements, no
 * query builder): on SQLite the transaction is begun and committed through the driver too.
 */
export function inTransactionOnDriver<T>(
  db: Knex,
  work: (ctx: ReportContext) => Promise<T>,
): Promise<T> {
  const effects: (() => void)[] = [];
  const afterCommit = (effect: () => void) => effects.push(effect);
  return whenDurable(
    pipelinedCommitsOf(db).runOnDriver((conn) => work({ conn, afterCommit })),
    effects,
  );
}
