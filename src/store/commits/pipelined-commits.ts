/**
 * Transactions whose durability is awaited apart from their COMMIT, so that the next one can
 * run while the disk flushes this one (the group committer's batches).
 *
 * On an SQLite file in WAL mode the transaction commits with `synchronous = NORMAL` and
 * `durable` is an fdatasync of the WAL on the thread pool (see `WalSync` for why that is as
 * durable as FULL). The connection is held for the whole time, so no other transaction ever
 * commits with the lowered setting: it is set back to FULL, the store's setting. Elsewhere
 * (PostgreSQL, in-memory SQLite) COMMIT returns once durable and `durable` is already resolved.
 *
 * What commits with NORMAL is visible to readers of the same database before it is durable
 * (for the time of the sync); callers that act on it (acks, change notifications) wait for
 * `durable`.
 *
 * `runOnDriver` is `run` without knex's transaction machinery (a transaction object built per
 * transaction, BEGIN and COMMIT through its query builder, too costly on the report path): on SQLite BEGIN, COMMIT and ROLLBACK are prepared statements on the held connection.
 */
import type { Database } from "better-sqlite3";
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import {
  type DriverConnection,
  driverOf,
  sqliteStatement,
  withPooledConnection,
} from "../sql/prepared.js";
import { WalSync } from "./wal-sync.js";

export interface Committed<T> {
  readonly result: T;
  /** Resolves once the commit survives a power loss; rejects if the disk refused the sync. */
  readonly durable: Promise<void>;
}

const done = Promise.resolve();
const byStore = new WeakMap<Knex, PipelinedCommits>();

/** The store's PipelinedCommits (one per store, so that all its commits share one WAL flush). */
export function pipelinedCommitsOf(db: Knex): PipelinedCommits {
  let commits = byStore.get(db);
  if (!commits) {
    commits = new PipelinedCommits(db);
    byStore.set(db, commits);
  }
  return commits;
}

export class PipelinedCommits {
  /** Per SQLite connection: its WAL's sync, or null when commits cannot be deferred. */
  private readonly syncs = new WeakMap<Database, WalSync | null>();
  private readonly open = new Set<WalSync>();
  private readonly failureListeners: ((error: unknown) => void)[] = [];

  constructor(private readonly db: Knex) {}

  async run<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<Committed<T>> {
    if (this.db.client.config.client === "pg") {
      return { result: await this.db.transaction(work), durable: done };
    }
    return this.onSqlite((connection) => this.db.transaction(work, { connection }));
  }

  /**
   * Like `run`, but `work` gets the transaction's driver connection, and on SQLite the
   * transaction is begun, committed or rolled back through the driver (PostgreSQL: through
   * knex, as `run`).
   */
  async runOnDriver<T>(work: (conn: DriverConnection) => Promise<T>): Promise<Committed<T>> {
    if (this.db.client.config.client === "pg") {
      return this.run(async (trx) => work(await driverOf(trx)));
    }
    return this.onSqlite((connection) => inDriverTransaction(connection, work));
  }

  /**
   * Runs `transaction` on the pooled SQLite connection, with NORMAL and a deferred sync when
   * the database is a WAL file.
   */
  private onSqlite<T>(transaction: (connection: Database) => Promise<T>): Promise<Committed<T>> {
    return withPooledConnection(this.db, async (conn) => {
      if (conn.dialect !== "sqlite") throw new Error("an SQLite store was expected");
      const connection = conn.db;
      const walSync = this.walSyncOf(connection);
      if (!walSync) return { result: await transaction(connection), durable: done };
      sqliteStatement(connection, "PRAGMA synchronous = NORMAL").run();
      try {
        const result = await transaction(connection);
        return { result, durable: walSync.sync().catch(refuseAfterFailedFlush) };
      } finally {
        sqliteStatement(connection, "PRAGMA synchronous = FULL").run();
      }
    });
  }

  /** Calls `listener` if a WAL flush fails: no commit can be made durable any more. */
  onSyncFailure(listener: (error: unknown) => void): void {
    this.failureListeners.push(listener);
  }

  /** Closes the WAL descriptors (the store is closing). */
  async close(): Promise<void> {
    await Promise.all([...this.open].map((walSync) => walSync.close()));
    this.open.clear();
  }

  private walSyncOf(connection: Database): WalSync | null {
    let walSync = this.syncs.get(connection);
    if (walSync === undefined) {
      const wal =
        !connection.memory && connection.pragma("journal_mode", { simple: true }) === "wal";
      walSync = wal
        ? new WalSync(`${connection.name}-wal`, undefined, (error) => {
            for (const listener of this.failureListeners) listener(error);
          })
        : null;
      this.syncs.set(connection, walSync);
      if (walSync) this.open.add(walSync);
    }
    return walSync;
  }
}

/**
 * What a commit whose flush failed answers: UNAVAILABLE (a restart of the core is the remedy,
 * so a client may try again later), with a message an operator can act on.
 */
function refuseAfterFailedFlush(error: unknown): never {
  const reason = error instanceof Error ? error.message : String(error);
  throw new AppError(
    "UNAVAILABLE",
    `the database could not be flushed to disk (${reason}); the core acknowledges nothing more until it is restarted`,
    { cause: error },
  );
}

/** BEGIN, `work`, COMMIT on one SQLite connection; ROLLBACK when either fails. */
async function inDriverTransaction<T>(
  connection: Database,
  work: (conn: DriverConnection) => Promise<T>,
): Promise<T> {
  sqliteStatement(connection, "BEGIN").run();
  try {
    const result = await work({ dialect: "sqlite", db: connection });
    sqliteStatement(connection, "COMMIT").run();
    return result;
  } catch (error) {
    // A failed COMMIT (SQLITE_BUSY, I/O) can leave the transaction open: end it too.
    if (connection.inTransaction) sqliteStatement(connection, "ROLLBACK").run();
    throw error;
  }
}
