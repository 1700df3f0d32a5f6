/**
 * The hot path's statements, run on the transaction's own connection through the driver rather
 * than knex's query builder (which costs 25–100 µs per statement, 10–30× the statement itself on
 * SQLite): better-sqlite3 statements are prepared once per connection and reused; PostgreSQL
 * statements are named, so the server parses and plans each once per connection.
 */
import type { Database, Statement } from "better-sqlite3";
import type { Knex } from "knex";
import type pg from "pg";

export type DriverConnection =
  | { readonly dialect: "sqlite"; readonly db: Database }
  | { readonly dialect: "postgres"; readonly client: pg.ClientBase };

interface TransactingClient {
  readonly config: { readonly client: unknown };
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

/**
 * The connection of an open knex transaction (the driver's own object). Only for a
 * transaction: its client hands out the one connection it holds and never releases it.
 */
export async function driverOf(trx: Knex.Transaction): Promise<DriverConnection> {
  const client = trx.client as unknown as TransactingClient;
  const connection = await client.acquireConnection();
  return client.config.client === "pg"
    ? { dialect: "postgres", client: connection as pg.ClientBase }
    : { dialect: "sqlite", db: connection as Database };
}

/**
 * Runs `use` on a connection of knex's pool, through the driver, then gives it back. Outside a
 * transaction (on SQLite it waits for the one running, as any query would).
 */
export async function withPooledConnection<T>(
  db: Knex,
  use: (conn: DriverConnection) => T | Promise<T>,
): Promise<T> {
  const client = db.client as unknown as TransactingClient;
  const connection = await client.acquireConnection();
  try {
    return await use(
      client.config.client === "pg"
        ? { dialect: "postgres", client: connection as pg.ClientBase }
        : { dialect: "sqlite", db: connection as Database },
    );
  } finally {
    await client.releaseConnection(connection);
  }
}

/** withPooledConnection on SQLite. */
export function withSqliteConnection<T>(db: Knex, use: (conn: Database) => T): Promise<T> {
  return withPooledConnection(db, (conn) => {
    if (conn.dialect !== "sqlite") throw new Error("an SQLite store was expected");
    return use(conn.db);
  });
}

const statements = new WeakMap<Database, Map<string, Statement>>();

/** A statement of `db` prepared once and reused (the SQL texts here are a small fixed set). */
export function sqliteStatement(db: Database, sql: string): Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    cache.set(sql, statement);
  }
  return statement;
}

/** Runs a named (prepared once per connection) statement on PostgreSQL. */
export async function pgQuery<R extends pg.QueryResultRow>(
  client: pg.ClientBase,
  name: string,
  text: string,
  values: unknown[],
): Promise<R[]> {
  const result = await client.query<R>({ name, text, values });
  return result.rows;
}
