// The group committer's driver units: `runBatched` hands consecutive items of one handler to
// it together, in arrival order, in one transaction with the other units of the batch; a
// handler that throws fails only its own items once the batch is retried unit by unit.
import pino from "pino";
import { expect, it } from "vitest";
import { type BatchHandler, GroupCommitter } from "../../src/app/reports/group-commit.js";
import type { ReportContext } from "../../src/store/commits/transactions.js";
import { pgQuery, sqliteStatement } from "../../src/store/sql/prepared.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshStorePerTest } from "../helpers/fresh-store.js";
import { testMetrics } from "../helpers/metrics.js";

const silent = pino({ level: "silent" });

async function insertPlugin(ctx: ReportContext, key: string): Promise<void> {
  const values = [key, key, "t", "d", "{}", 0, 0];
  const sql = `INSERT INTO plugins (key, name, type, description, parameters_json,
    first_seen_ms, last_seen_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)`;
  if (ctx.conn.dialect === "postgres") {
    await pgQuery(ctx.conn.client, "test_insert_plugin", sql, values);
  } else {
    sqliteStatement(ctx.conn.db, sql.replace(/\$\d/g, "?")).run(...values);
  }
}

describeEachDialect("group commit: batched driver units", (dialect) => {
  const fresh = freshStorePerTest(dialect);

  it("applies consecutive items of a handler together, in order, once each", async () => {
    const committer = new GroupCommitter({
      db: fresh.store.db,
      logger: silent,
      metrics: testMetrics(),
    });
    const calls: string[][] = [];
    const effects: string[] = [];
    const handler: BatchHandler<string, string> = {
      async apply(ctx, items) {
        calls.push([...items]);
        for (const item of items) await insertPlugin(ctx, item);
        ctx.afterCommit(() => effects.push(...items));
        return items.map((item) => `stored ${item}`);
      },
    };
    const results = await Promise.all([
      committer.runBatched(handler, "a"),
      committer.runBatched(handler, "b"),
      committer.runOnDriver(async (ctx) => {
        await insertPlugin(ctx, "between");
        return "driver";
      }),
      committer.runBatched(handler, "c"),
    ]);
    expect(results).toEqual(["stored a", "stored b", "driver", "stored c"]);
    // One transaction for the four units: a and b together, c after the driver unit.
    expect(calls).toEqual([["a", "b"], ["c"]]);
    expect(effects).toEqual(["a", "b", "c"]);
    const keys = await fresh.store.db("plugins").orderBy("key").pluck("key");
    expect(keys).toEqual(["a", "b", "between", "c"]);
  });

  it("retries a failed batch unit by unit: only the failing items are refused", async () => {
    const committer = new GroupCommitter({
      db: fresh.store.db,
      logger: silent,
      metrics: testMetrics(),
    });
    const handler: BatchHandler<string, string> = {
      async apply(ctx, items) {
        for (const item of items) {
          if (item === "bad") throw new Error("refused bad");
          await insertPlugin(ctx, item);
        }
        return items.map(() => "ok");
      },
    };
    const settled = await Promise.allSettled([
      committer.runBatched(handler, "x"),
      committer.runBatched(handler, "bad"),
      committer.runBatched(handler, "y"),
    ]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const keys = await fresh.store.db("plugins").orderBy("key").pluck("key");
    expect(keys).toEqual(["x", "y"]);
  });
});
