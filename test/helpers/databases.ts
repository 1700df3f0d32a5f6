// Per-test databases for both supported dialects. The PostgreSQL server comes from the vitest
// global setup (test/helpers/global-setup.ts); without one, only SQLite is tested.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { describe, inject } from "vitest";

export type Dialect = "sqlite" | "postgres";

const pgUrl: string | null = inject("pgUrl") ?? null;

/** The dialects to test: SQLite always, PostgreSQL when a server is available. */
export const dialects: Dialect[] = pgUrl ? ["sqlite", "postgres"] : ["sqlite"];

export interface TestDatabase {
  /** A URL the core's config accepts: `sqlite:<path>` or `postgres://…`. */
  url: string;
  /** Removes the database (idempotent). */
  drop(): Promise<void>;
}

/** Creates a fresh, empty database of the given dialect. */
export async function createTestDatabaseUrl(dialect: Dialect): Promise<TestDatabase> {
  switch (dialect) {
    case "sqlite":
      return createSqliteDatabase();
    case "postgres":
      return createPostgresDatabase();
  }
}

async function createSqliteDatabase(): Promise<TestDatabase> {
  const dir = await mkdtemp(join(tmpdir(), "training-core-sqlite-"));
  return {
    url: `sqlite:${join(dir, "test.db")}`,
    drop: () => rm(dir, { recursive: true, force: true }),
  };
}

async function withAdminClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  if (!pgUrl) {
    throw new Error("no PostgreSQL server: install PostgreSQL or set TEST_PG_URL");
  }
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function createPostgresDatabase(): Promise<TestDatabase> {
  // Lowercase hex only, so the name needs no quoting rules beyond the double quotes.
  const name = `test_${randomBytes(8).toString("hex")}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(pgUrl as string);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await withAdminClient((client) =>
        client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      );
    },
  };
}

/** Declares the suite once per available dialect, named `name [sqlite]` / `name [postgres]`. */
export function describeEachDialect(name: string, fn: (dialect: Dialect) => void): void {
  for (const dialect of dialects) {
    describe(`${name} [${dialect}]`, () => fn(dialect));
  }
}

/**
 * A TCP port that was free a moment ago. It is probed on the wildcard address, so it is free on
 * 127.0.0.1 as well as on all interfaces.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}
