// Migration 010 swaps two indexes of stream_requests for ones that serve the delivery order and
// the "earlier request open" probe; it rolls back to the old ones and applies again.
import type { Knex } from "knex";
import { afterEach, expect, it } from "vitest";
import { migrations } from "../../src/store/migrations/index.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  type TestDatabase,
} from "../helpers/databases.js";
import { knexFor } from "../helpers/knex-for.js";

async function indexesOf(db: Knex, table: string): Promise<string[]> {
  if (db.client.config.client === "pg") {
    const rows: { indexname: string }[] = await db("pg_indexes")
      .where({ tablename: table })
      .select("indexname");
    return rows.map((row) => row.indexname).sort();
  }
  const rows = (await db.raw(`PRAGMA index_list(${table})`)) as { name: string }[];
  return rows.map((row) => row.name).sort();
}

describeEachDialect("migration 010 (live delivery order indexes)", (dialect) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it("replaces the two indexes, rolls back to the old ones and applies again", async () => {
    database = await createTestDatabaseUrl(dialect);
    const db = knexFor(database.url);
    const newOnes = [
      "stream_requests_membership_id_case_id_status_event_id_index",
      "stream_requests_plugin_key_status_event_id_index",
    ];
    const oldOnes = [
      "stream_requests_membership_id_case_id_event_id_index",
      "stream_requests_plugin_key_status_index",
    ];
    try {
      await db.migrate.latest({ migrationSource: migrations });
      let indexes = await indexesOf(db, "stream_requests");
      expect(indexes).toEqual(expect.arrayContaining(newOnes));
      for (const old of oldOnes) expect(indexes).not.toContain(old);

      await db.migrate.down({ migrationSource: migrations });
      indexes = await indexesOf(db, "stream_requests");
      expect(indexes).toEqual(expect.arrayContaining(oldOnes));
      for (const index of newOnes) expect(indexes).not.toContain(index);

      await db.migrate.latest({ migrationSource: migrations });
      expect(await indexesOf(db, "stream_requests")).toEqual(expect.arrayContaining(newOnes));
    } finally {
      await db.destroy();
    }
  });
});
