import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import knexFactory, { type Knex } from "knex";
import pg from "pg";
import { BlobFiles, registerBlobFiles } from "./blobs/blob-files.js";
import { pipelinedCommitsOf } from "./commits/pipelined-commits.js";
import { migrations } from "./migrations/index.js";
import { lockDatabaseFile } from "./single-core-lock.js";

export type Dialect = "sqlite" | "postgres";

export interface Store {
  readonly db: Knex;
  readonly dialect: Dialect;
  close(): Promise<void>;
}

/** Parse int8 (ids, counts, millisecond timestamps) as numbers: all stay below 2^53. */
const pgTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === pg.types.builtins.INT8) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * knex prepares every statement anew on better-sqlite3 (a large share of the report path's
 * CPU): keep the most recently used statements of the connection and hand them out again for
 * the same SQL text. Safe because knex runs each statement to completion (`all` or `run`, never
 * `iterate`) before the next one starts on this single connection.
 */
export function cachePreparedStatements(
  connection: import("better-sqlite3").Database,
  capacity = 256,
): void {
  type Statement = import("better-sqlite3").Statement;
  const prepare = connection.prepare.bind(connection);
  const cache = new Map<string, Statement>();
  connection.prepare = ((sql: string) => {
    let statement = cache.get(sql);
    if (statement) {
      // Most recently used last: the first key is the one to drop.
      cache.delete(sql);
    } else {
      statement = prepare(sql);
      if (cache.size >= capacity) cache.delete(cache.keys().next().value as string);
    }
    cache.set(sql, statement);
    return statement;
  }) as typeof connection.prepare;
}

function sqliteConfig(path: string): Knex.Config {
  const filename = path === ":memory:" ? path : resolve(path);
  if (filename !== ":memory:") mkdirSync(dirname(filename), { recursive: true });
  return {
    client: "better-sqlite3",
    connection: { filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(
        connection: import("better-sqlite3").Database,
        done: (err: Error | null) => void,
      ) {
        // WAL lets readers run beside the writer; FULL makes every commit durable before an Ack.
        connection.pragma("journal_mode = WAL");
        connection.pragma("synchronous = FULL");
        connection.pragma("foreign_keys = ON");
        connection.pragma("busy_timeout = 5000");
        // 4 MiB of page cache (better-sqlite3's default is 16 MB): the hot pages of plugin
        // traffic fit, and an upload's blob pages, read once, cannot hold 16 MB of memory.
        connection.pragma("cache_size = -4096");
        cachePreparedStatements(connection);
        done(null);
      },
    },
  };
}

function postgresConfig(url: string): Knex.Config {
  return {
    client: "pg",
    connection: { connectionString: url, types: pgTypes } as Knex.PgConnectionConfig,
    pool: { min: 0, max: 10 },
    acquireConnectionTimeout: 10_000,
  };
}

export function dialectOf(url: string): Dialect {
  return url.startsWith("sqlite:") ? "sqlite" : "postgres";
}

/** Advisory lock key held while migrating (any constant distinct from other applications'). */
const migrationLockKey = 0x7c0e_0001;

/**
 * Replicas starting together must not migrate at once (knex would fail the second with
 * "Migration table is already locked"): they take turns under a PostgreSQL advisory lock, on a
 * connection of its own that PostgreSQL releases if the process dies midway.
 */
async function migrateExclusively(db: Knex, url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [migrationLockKey]);
    await db.migrate.latest({ migrationSource: migrations });
  } finally {
    await client.end();
  }
}

export interface OpenStoreOptions {
  /**
   * Opened by a core replica (not a tool such as `training-core token`): on SQLite, a second
   * core on the same file is refused.
   */
  readonly replica?: boolean;
}

/** Connects to the database named by `url` and brings its schema up to date. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const dialect = dialectOf(url);
  const path = url.slice("sqlite:".length);
  const unlock =
    dialect === "sqlite" && options.replica && path !== ":memory:"
      ? lockDatabaseFile(path)
      : () => {};
  const db = knexFactory(dialect === "sqlite" ? sqliteConfig(path) : postgresConfig(url));
  if (dialect === "sqlite" && path !== ":memory:") {
    registerBlobFiles(db.client.config, BlobFiles.besideDatabase(resolve(path)));
  }
  try {
    if (dialect === "postgres") await migrateExclusively(db, url);
    else await db.migrate.latest({ migrationSource: migrations });
  } catch (error) {
    await db.destroy();
    unlock();
    throw error;
  }
  return {
    db,
    dialect,
    close: async () => {
      await db.destroy();
      await pipelinedCommitsOf(db).close();
      unlock();
    },
  };
}
