import type { Knex } from "knex";
import { pipelinedCommitsOf } from "../store/pipelined-commits.js";

/** What a unit of work sees: the open transaction and a way to act once it committed. */
export interface WorkContext {
  readonly trx: Knex.Transaction;
  afterCommit(effect: () => void): void;
}

/**
 * Runs `work` in one transaction; resolves, and runs its after-commit effects, once the commit
 * is durable (on SQLite the disk flush runs off the event loop: see pipelined-commits.ts).
 */
export async function inTransaction<T>(
  db: Knex,
  work: (ctx: WorkContext) => Promise<T>,
): Promise<T> {
  const effects: (() => void)[] = [];
  const { result, durable } = await pipelinedCommitsOf(db).run((trx) =>
    work({ trx, afterCommit: (effect) => effects.push(effect) }),
  );
  await durable;
  for (const effect of effects) effect();
  return result;
}
