// Migration 005 renames `assignments` to `memberships` (and the replica claim columns) on a
// database that already holds projects: every row keeps its values, and the store reads them.
import { afterEach, expect, it } from "vitest";
import { openStore } from "../../src/store/connect.js";
import { migrations } from "../../src/store/migrations/index.js";
import { readMembershipStatuses } from "../../src/store/sql/memberships.js";
import { driverOf } from "../../src/store/sql/prepared.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  type TestDatabase,
} from "../helpers/databases.js";
import { knexFor } from "../helpers/knex-for.js";

/** Applies the migrations before 005 and stores one project with two memberships. */
async function seedBeforeRename(url: string): Promise<void> {
  const db = knexFor(url);
  try {
    for (let i = 0; i < 4; i++) await db.migrate.up({ migrationSource: migrations });
    const now = 1_700_000_000_000;
    await db("blobs").insert({ id: "raw", created_ms: now });
    await db("projects").insert({
      id: 7,
      name: "p",
      description: "",
      status: "TRAINING",
      plugin_keys_json: "[]",
      parameters_json: "{}",
      additional_info_json: "{}",
      requested_case_id_column: "",
      holdout_fraction: 0.2,
      raw_blob_id: "raw",
      created_ms: now,
      updated_ms: now,
    });
    const membership = (key: string, status: string) => ({
      project_id: 7,
      plugin_key: key,
      status,
      model_name: status === "TRAINED" ? "m.bin" : "",
      parameters_json: "{}",
      additional_info_json: "{}",
      created_ms: now,
      updated_ms: now,
      lease_replica: "r1",
      lease_expires_ms: now + 5,
    });
    await db("assignments").insert(membership("knn", "TRAINED"));
    await db("assignments").insert(membership("lstm", "TRAINING"));
    const [knn] = await db("assignments").where({ plugin_key: "knn" }).select("id");
    await db("events").insert({
      project_id: 7,
      assignment_id: Number((knn as { id: number }).id),
      plugin_key: "knn",
      project_status: "TRAINING",
      plugin_status: "TRAINED",
      created_ms: now,
    });
  } finally {
    await db.destroy();
  }
}

describeEachDialect("migration 005 (memberships)", (dialect) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it("keeps every membership, event and claim of an existing database", async () => {
    database = await createTestDatabaseUrl(dialect);
    await seedBeforeRename(database.url);
    const store = await openStore(database.url);
    try {
      const rows = await store.db("memberships").orderBy("id");
      expect(rows.map((r) => [r.plugin_key, r.status, r.claim_replica])).toEqual([
        ["knn", "TRAINED", "r1"],
        ["lstm", "TRAINING", "r1"],
      ]);
      const [knnId, lstmId] = rows.map((r) => Number(r.id)) as [number, number];
      expect(rows.map((r) => Number(r.claim_expires_ms))).toEqual([
        1_700_000_000_005, 1_700_000_000_005,
      ]);
      const events = await store.db("events").select("membership_id");
      expect(events.map((e) => Number(e.membership_id))).toEqual([knnId]);
      const statuses = await store.db.transaction(async (trx) =>
        readMembershipStatuses(await driverOf(trx), [7]),
      );
      expect(statuses.map((s) => [s.id, s.status, s.model_name])).toEqual([
        [knnId, "TRAINED", "m.bin"],
        [lstmId, "TRAINING", ""],
      ]);
      // New rows take ids after the old ones: the id sequence came along with the table.
      const [next] = await store
        .db("memberships")
        .insert({
          project_id: 7,
          plugin_key: "forest",
          status: "WAITING",
          parameters_json: "{}",
          additional_info_json: "{}",
          created_ms: 1,
          updated_ms: 1,
        })
        .returning("id");
      expect(Number((next as { id: number }).id)).toBeGreaterThan(lstmId);
    } finally {
      await store.close();
    }
  });

  it("can be rolled back and applied again", async () => {
    database = await createTestDatabaseUrl(dialect);
    await seedBeforeRename(database.url);
    const db = knexFor(database.url);
    try {
      await db.migrate.up({ migrationSource: migrations });
      expect(await db.schema.hasTable("memberships")).toBe(true);
      await db.migrate.down({ migrationSource: migrations });
      expect(await db.schema.hasTable("assignments")).toBe(true);
      expect(await db.schema.hasColumn("events", "assignment_id")).toBe(true);
      await db.migrate.up({ migrationSource: migrations });
      expect(await db.schema.hasTable("assignments")).toBe(false);
      expect(await db("memberships").count({ n: "*" })).toEqual([{ n: expect.anything() }]);
    } finally {
      await db.destroy();
    }
  });
});
