// Migration 008 (project lifecycle) on a database that already has a project with a TRAINED
// membership: the lineage reads as none, the membership serves, no project is deleted, and
// undoing it keeps every row.
import type { Knex } from "knex";
import { expect, it } from "vitest";
import { getProject } from "../../src/app/projects/project-views.js";
import { migrations } from "../../src/store/migrations/index.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshStorePerTest } from "../helpers/fresh-store.js";

const migration = "008-project-lifecycle";

const idOf = (row: unknown) => Number(typeof row === "object" ? (row as { id: number }).id : row);

async function seedRows(db: Knex): Promise<number> {
  await db("blobs").insert({ id: "raw_1", size_bytes: 4, complete: true, created_ms: 1 });
  const [project] = await db("projects")
    .insert({
      name: "before 008",
      description: "",
      status: "TRAINED",
      error: "",
      plugin_keys_json: '["knn"]',
      parameters_json: "{}",
      additional_info_json: "{}",
      requested_case_id_column: "case",
      holdout_fraction: 0.2,
      raw_blob_id: "raw_1",
      created_ms: 1,
      updated_ms: 3,
    })
    .returning("id");
  const id = idOf(project);
  await db("memberships").insert({
    project_id: id,
    plugin_key: "knn",
    status: "TRAINED",
    model_name: "m",
    parameters_json: "{}",
    additional_info_json: "{}",
    created_ms: 3,
    updated_ms: 3,
  });
  return id;
}

async function counts(db: Knex): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const table of ["blobs", "projects", "memberships"]) {
    result[table] = Number((await db(table).count({ n: "*" }))[0]?.n);
  }
  return result;
}

describeEachDialect("migration 008: project lifecycle", (dialect) => {
  const fresh = freshStorePerTest(dialect);

  it("adds lineage, serving and tombstones to a database with projects, and undoes it", async () => {
    const db = fresh.store.db;
    await db.migrate.down({ migrationSource: migrations, name: migration });
    expect(await db.schema.hasTable("deleted_projects")).toBe(false);
    expect(await db.schema.hasColumn("memberships", "serving")).toBe(false);
    const projectId = await seedRows(db);
    const before = await counts(db);

    await db.migrate.latest({ migrationSource: migrations });
    expect(await counts(db)).toEqual(before);
    const project = await getProject(db, projectId);
    expect(project.sourceProjectId).toBe(0);
    expect(project.plugins.map((p) => [p.status, p.serving])).toEqual([["TRAINED", true]]);
    expect(await db("deleted_projects").count({ n: "*" })).toEqual([{ n: expect.anything() }]);

    await db.migrate.down({ migrationSource: migrations, name: migration });
    expect(await counts(db)).toEqual(before);
    expect(await db.schema.hasColumn("projects", "source_project_id")).toBe(false);
    expect(await db.schema.hasColumn("memberships", "serving")).toBe(false);
    expect(await db.schema.hasTable("deleted_projects")).toBe(false);
    await db.migrate.latest({ migrationSource: migrations });
    expect((await getProject(db, projectId)).plugins[0]?.serving).toBe(true);
  });
});
