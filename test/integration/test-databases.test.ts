// Proves the test database helpers work for every available dialect.
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import knex, { type Knex } from "knex";
import { afterEach, describe, expect, it } from "vitest";
import {
  createTestDatabaseUrl,
  type Dialect,
  describeEachDialect,
  dialects,
  freePort,
} from "../helpers/databases.js";

function knexConfig(dialect: Dialect, url: string): Knex.Config {
  if (dialect === "sqlite") {
    expect(url).toMatch(/^sqlite:\//);
    return {
      client: "better-sqlite3",
      connection: { filename: url.slice("sqlite:".length) },
      useNullAsDefault: true,
    };
  }
  expect(url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/test_[0-9a-f]+$/);
  return { client: "pg", connection: url, pool: { min: 0, max: 2 } };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describeEachDialect("test databases", (dialect) => {
  it("creates a usable, empty database and drops it", async () => {
    const database = await createTestDatabaseUrl(dialect);
    cleanups.push(() => database.drop());
    const db = knex(knexConfig(dialect, database.url));
    cleanups.push(() => db.destroy());

    await db.schema.createTable("items", (table) => {
      table.increments("id");
      table.string("name").notNullable();
    });
    await db("items").insert([{ name: "a" }, { name: "b" }]);
    const rows = await db("items").select("name").orderBy("id");
    expect(rows).toEqual([{ name: "a" }, { name: "b" }]);

    await db.destroy();
    await database.drop();
    await database.drop(); // idempotent
    if (dialect === "sqlite") {
      expect(existsSync(dirname(database.url.slice("sqlite:".length)))).toBe(false);
    }
  });

  it("gives every call its own database", async () => {
    const first = await createTestDatabaseUrl(dialect);
    cleanups.push(() => first.drop());
    const second = await createTestDatabaseUrl(dialect);
    cleanups.push(() => second.drop());
    expect(first.url).not.toBe(second.url);

    const a = knex(knexConfig(dialect, first.url));
    cleanups.push(() => a.destroy());
    const b = knex(knexConfig(dialect, second.url));
    cleanups.push(() => b.destroy());
    await a.schema.createTable("only_in_first", (table) => table.integer("x"));
    expect(await a.schema.hasTable("only_in_first")).toBe(true);
    expect(await b.schema.hasTable("only_in_first")).toBe(false);

    if (dialect === "postgres") {
      const [{ name: nameA }] = (await a.raw("select current_database() as name")).rows;
      const [{ name: nameB }] = (await b.raw("select current_database() as name")).rows;
      expect(nameA).not.toBe(nameB);
      expect(first.url.endsWith(`/${nameA}`)).toBe(true);
      expect(second.url.endsWith(`/${nameB}`)).toBe(true);
    }
  });
});

describe("test database helpers", () => {
  it("tests PostgreSQL whenever CI is set", () => {
    expect(dialects[0]).toBe("sqlite");
    if (process.env.CI) expect(dialects).toContain("postgres");
  });

  it("finds a free port", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(port).toBeLessThan(65536);
  });
});
