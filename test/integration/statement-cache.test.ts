// knex prepares every statement anew on better-sqlite3; the core's connection keeps them.
import Database from "better-sqlite3";
import { expect, it } from "vitest";
import { cachePreparedStatements, openStore } from "../../src/store/connect.js";

it("hands out one prepared statement per SQL text, keeping the most recently used", () => {
  const db = new Database(":memory:");
  try {
    cachePreparedStatements(db, 2);
    const a = db.prepare("SELECT 1 AS one");
    expect(db.prepare("SELECT 1 AS one")).toBe(a);
    const b = db.prepare("SELECT 2 AS two");
    expect(db.prepare("SELECT 1 AS one")).toBe(a); // a is now the most recently used
    db.prepare("SELECT 3 AS three"); // over capacity: b goes
    expect(db.prepare("SELECT 1 AS one")).toBe(a);
    expect(db.prepare("SELECT 2 AS two")).not.toBe(b);
    expect(a.get()).toEqual({ one: 1 });
  } finally {
    db.close();
  }
});

it("is installed on the core's SQLite connection", async () => {
  const store = await openStore("sqlite::memory:");
  try {
    await store.db("plugins").where({ key: "k" }).first();
    const { sql } = store.db("plugins").where({ key: "k" }).first().toSQL().toNative();
    const connection = (await store.db.client.acquireConnection()) as Database.Database;
    try {
      expect(connection.prepare(sql)).toBe(connection.prepare(sql));
    } finally {
      await store.db.client.releaseConnection(connection);
    }
  } finally {
    await store.close();
  }
});
