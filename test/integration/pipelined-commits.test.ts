// The group committer's transactions: committed, then durable; on SQLite the lowered
// `synchronous` setting never outlives the transaction, so every other commit keeps fsyncing.
import { unlinkSync } from "node:fs";
import type Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { PipelinedCommits } from "../../src/store/commits/pipelined-commits.js";
import type { DriverConnection } from "../../src/store/sql/prepared.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshStorePerTest } from "../helpers/fresh-store.js";

const plugin = {
  key: "k",
  name: "n",
  type: "t",
  description: "",
  parameters_json: "{}",
  first_seen_ms: 1,
  last_seen_ms: 1,
};
const FULL = 2;
const NORMAL = 1;

describeEachDialect("pipelined commits", (dialect) => {
  const fresh = freshStorePerTest(dialect);

  it("returns the work's result once committed, and a durability that resolves", async () => {
    const commits = new PipelinedCommits(fresh.store.db);
    const { result, durable } = await commits.run(async (trx) => {
      await trx("plugins").insert(plugin);
      return 7;
    });
    expect(result).toBe(7);
    await durable;
    expect(await fresh.store.db("plugins").where({ key: "k" }).first()).toBeDefined();
  });

  it("rolls back failed work and commits nothing of it", async () => {
    const commits = new PipelinedCommits(fresh.store.db);
    await expect(
      commits.run(async (trx) => {
        await trx("plugins").insert(plugin);
        throw new Error("no");
      }),
    ).rejects.toThrow("no");
    expect(await fresh.store.db("plugins").where({ key: "k" }).first()).toBeUndefined();
  });

  it("runs work on the driver connection: committed, or rolled back when it fails", async () => {
    const commits = new PipelinedCommits(fresh.store.db);
    const { result, durable } = await commits.runOnDriver(async (conn) => {
      await insertPlugin(conn, "k");
      return 7;
    });
    expect(result).toBe(7);
    await durable;
    await expect(
      commits.runOnDriver(async (conn) => {
        await insertPlugin(conn, "k2");
        throw new Error("no");
      }),
    ).rejects.toThrow("no");
    // A failing statement (the key exists) rolls back what came before it, too.
    await expect(
      commits.runOnDriver(async (conn) => {
        await insertPlugin(conn, "k3");
        await insertPlugin(conn, "k");
      }),
    ).rejects.toThrow();
    const keys = await fresh.store.db("plugins").pluck("key");
    expect(keys).toEqual(["k"]);
    // The connection is not left in a transaction: the next one commits.
    await (await commits.runOnDriver((conn) => insertPlugin(conn, "k4"))).durable;
    expect((await fresh.store.db("plugins").pluck("key")).sort()).toEqual(["k", "k4"]);
  });
});

/** Inserts a plugin row through the driver. */
async function insertPlugin(conn: DriverConnection, key: string): Promise<void> {
  const values = [key, "n", "t", "", "{}", 1, 1];
  const columns = "key, name, type, description, parameters_json, first_seen_ms, last_seen_ms";
  if (conn.dialect === "sqlite") {
    conn.db.prepare(`INSERT INTO plugins (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(values);
  } else {
    await conn.client.query(
      `INSERT INTO plugins (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      values,
    );
  }
}

describe("pipelined commits on an SQLite file", () => {
  const fresh = freshStorePerTest("sqlite");

  const synchronousNow = async (): Promise<number> => {
    const conn = (await fresh.store.db.client.acquireConnection()) as Database.Database;
    try {
      return conn.pragma("synchronous", { simple: true }) as number;
    } finally {
      await fresh.store.db.client.releaseConnection(conn);
    }
  };

  it("commits with NORMAL and puts FULL back, whether the work succeeds or fails", async () => {
    const commits = new PipelinedCommits(fresh.store.db);
    expect(await synchronousNow()).toBe(FULL);
    const inside = async (trx: import("knex").Knex.Transaction) => {
      const rows = (await trx.raw("PRAGMA synchronous")) as { synchronous: number }[];
      return rows[0]?.synchronous;
    };
    const { result, durable } = await commits.run(inside);
    expect(result).toBe(NORMAL);
    await durable;
    expect(await synchronousNow()).toBe(FULL);

    await expect(
      commits.run(async () => {
        throw new Error("no");
      }),
    ).rejects.toThrow("no");
    expect(await synchronousNow()).toBe(FULL);

    // The same through the driver.
    const onDriver = await commits.runOnDriver(async (conn) =>
      (conn as { db: Database.Database }).db.pragma("synchronous", { simple: true }),
    );
    expect(onDriver.result).toBe(NORMAL);
    await onDriver.durable;
    expect(await synchronousNow()).toBe(FULL);
    await expect(
      commits.runOnDriver(async () => {
        throw new Error("no");
      }),
    ).rejects.toThrow("no");
    expect(await synchronousNow()).toBe(FULL);
  });

  it("keeps FULL for a query that waited for the connection during the transaction", async () => {
    const commits = new PipelinedCommits(fresh.store.db);
    let waiting: Promise<unknown> | undefined;
    const { durable } = await commits.run(async (trx) => {
      // Queued behind the transaction (one connection): runs after FULL is back.
      waiting = fresh.store.db.raw("PRAGMA synchronous");
      await trx("plugins").insert(plugin);
    });
    await durable;
    const rows = (await waiting) as { synchronous: number }[];
    expect(rows[0]?.synchronous).toBe(FULL);
  });

  it("fails that commit's durability and every later one, and tells its listeners once", async () => {
    const commits = new PipelinedCommits(fresh.store.db);
    const failures: unknown[] = [];
    commits.onSyncFailure((error) => failures.push(error));
    // The WAL gone from its path before the first flush opens it: the flush cannot be made.
    const file = fresh.database.url.replace(/^sqlite:/, "");
    const { durable } = await commits.run((trx) => {
      unlinkSync(`${file}-wal`);
      return trx("plugins").insert(plugin);
    });
    await expect(durable).rejects.toThrow(/ENOENT/);
    await expect(durable).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringContaining("until it is restarted"),
    });
    const later = await commits.run((trx) => trx("plugins").where({ key: "k" }).first());
    await expect(later.durable).rejects.toThrow(/ENOENT/);
    expect(failures).toHaveLength(1);
  });
});
