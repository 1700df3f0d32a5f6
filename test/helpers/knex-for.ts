import knexFactory, { type Knex } from "knex";

/** A bare knex on a test database URL (`sqlite:` path or PostgreSQL), for migration tests. */
export function knexFor(url: string): Knex {
  return url.startsWith("sqlite:")
    ? knexFactory({
        client: "better-sqlite3",
        connection: { filename: url.slice("sqlite:".length) },
        useNullAsDefault: true,
      })
    : knexFactory({ client: "pg", connection: url });
}
