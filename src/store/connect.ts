import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import knexFactory, { type Knex } from "knex";
import pg from "pg";
import { migrations } from "./migrations/index.js";
import { lockSqliteReplica } from "./replica-lock.js";

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

export interface OpenStoreOptions {
  /**
   * Opened by a core replica (not a tool such as `training-core token`): on SQLite, a second
   * replica on the same file is refused (see replica-lock.ts).
   */
  readonly replica?: boolean;
}

/** Connects to the database named by `url` and brings its schema up to date. */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const dialect = dialectOf(url);
  const path = url.slice("sqlite:".length);
  const unlock =
    dialect === "sqlite" && options.replica && path !== ":memory:"
      ? lockSqliteReplica(path)
      : () => {};
  const db = knexFactory(dialect === "sqlite" ? sqliteConfig(path) : postgresConfig(url));
  try {
    await db.migrate.latest({ migrationSource: migrations });
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
      unlock();
    },
  };
}
