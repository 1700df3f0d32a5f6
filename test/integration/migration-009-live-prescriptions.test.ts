// Migration 009 adds the live-prescription tables; it rolls back and applies again, and the
// event ids it gives keep increasing.
import { afterEach, expect, it } from "vitest";
import { migrations } from "../../src/store/migrations/index.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  type TestDatabase,
} from "../helpers/databases.js";
import { knexFor } from "../helpers/knex-for.js";

describeEachDialect("migration 009 (live prescriptions)", (dialect) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it("creates the stream tables, rolls back and applies again", async () => {
    database = await createTestDatabaseUrl(dialect);
    const db = knexFor(database.url);
    try {
      await db.migrate.latest({ migrationSource: migrations });
      expect(await db.schema.hasTable("stream_events")).toBe(true);
      expect(await db.schema.hasTable("stream_requests")).toBe(true);
      const now = 1_700_000_000_000;
      await db("blobs").insert({ id: "raw", created_ms: now });
      await db("projects").insert({
        id: 7,
        name: "p",
        description: "",
        status: "TRAINED",
        plugin_keys_json: "[]",
        parameters_json: "{}",
        additional_info_json: "{}",
        requested_case_id_column: "",
        holdout_fraction: 0.2,
        raw_blob_id: "raw",
        created_ms: now,
        updated_ms: now,
      });
      const event = (caseId: string) => ({
        project_id: 7,
        case_id: caseId,
        attributes_json: "{}",
        normalized_json: "{}",
        time_ms: now,
        posted_ms: now,
      });
      const [a] = await db("stream_events").insert(event("c1")).returning("id");
      const [b] = await db("stream_events").insert(event("c2")).returning("id");
      expect(Number((b as { id: number }).id)).toBeGreaterThan(Number((a as { id: number }).id));

      // 010, then 009.
      await db.migrate.down({ migrationSource: migrations });
      expect(await db.schema.hasTable("stream_events")).toBe(true);
      await db.migrate.down({ migrationSource: migrations });
      expect(await db.schema.hasTable("stream_events")).toBe(false);
      expect(await db.schema.hasTable("stream_requests")).toBe(false);
      expect(await db.schema.hasTable("prescription_requests")).toBe(true);
      await db.migrate.latest({ migrationSource: migrations });
      expect(await db.schema.hasTable("stream_requests")).toBe(true);
      expect(await db("stream_events").count({ n: "*" })).toEqual([{ n: expect.anything() }]);
    } finally {
      await db.destroy();
    }
  });
});
