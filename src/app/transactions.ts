import type { Knex } from "knex";

/** What a unit of work sees: the open transaction and a way to act once it committed. */
export interface WorkContext {
  readonly trx: Knex.Transaction;
  afterCommit(effect: () => void): void;
}

/** Runs `work` in one transaction and its after-commit effects once it committed. */
export async function inTransaction<T>(
  db: Knex,
  work: (ctx: WorkContext) => Promise<T>,
): Promise<T> {
  const effects: (() => void)[] = [];
  const result = await db.transaction((trx) =>
    work({ trx, afterCommit: (effect) => effects.push(effect) }),
  );
  for (const effect of effects) effect();
  return result;
}
