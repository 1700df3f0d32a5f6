// Migration 006 (event-log definitions) on a database that already has projects, plugins and
// their history: the new columns read as "no definition", nothing else changes, and undoing it
// keeps every row.
import type { Knex } from "knex";
import { expect, it } from "vitest";
import { PluginSessions } from "../../src/app/plugins/plugin-sessions.js";
import { getProject, listPluginViews } from "../../src/app/projects/project-views.js";
import { migrations } from "../../src/store/migrations/index.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshStorePerTest } from "../helpers/fresh-store.js";

const migration = "006-event-log-definitions";

/** Rows as a core without migration 006 wrote them. */
async function seedLegacyRows(db: Knex): Promise<number> {
  await db("blobs").insert({ id: "raw_1", size_bytes: 4, complete: true, created_ms: 1 });
  await db("plugins").insert({
    key: "knn",
    name: "kNN",
    type: "next-activity",
    description: "",
    parameters_json: '{"k":3}',
    first_seen_ms: 1,
    last_seen_ms: 2,
  });
  const [project] = await db("projects")
    .insert({
      name: "legacy",
      description: "",
      status: "TRAINING",
      error: "",
      plugin_keys_json: '["knn"]',
      parameters_json: "{}",
      additional_info_json: "{}",
      requested_case_id_column: "case",
      holdout_fraction: 0.2,
      raw_blob_id: "raw_1",
      preprocessed_ms: 3,
      rows: 10,
      training_rows: 8,
      holdout_rows: 2,
      cases: 4,
      columns_json: '["case","activity"]',
      case_id_column: "case",
      created_ms: 1,
      updated_ms: 3,
    })
    .returning("id");
  const id = Number(typeof project === "object" ? project.id : project);
  const [membership] = await db("memberships")
    .insert({
      project_id: id,
      plugin_key: "knn",
      status: "TRAINING",
      parameters_json: "{}",
      additional_info_json: "{}",
      created_ms: 3,
      updated_ms: 3,
    })
    .returning("id");
  await db("events").insert({
    project_id: id,
    membership_id: Number(typeof membership === "object" ? membership.id : membership),
    plugin_key: "knn",
    project_status: "TRAINING",
    plugin_status: "TRAINING",
    created_ms: 3,
  });
  return id;
}

async function counts(db: Knex): Promise<Record<string, number>> {
  const result: Record<string, number> = {};
  for (const table of ["blobs", "plugins", "projects", "memberships", "events"]) {
    result[table] = Number((await db(table).count({ n: "*" }))[0]?.n);
  }
  return result;
}

describeEachDialect("migration 006: event-log definitions", (dialect) => {
  const fresh = freshStorePerTest(dialect);

  it("adds the definition columns to a database with projects, and undoes it", async () => {
    const db = fresh.store.db;
    await db.migrate.down({ migrationSource: migrations, name: migration });
    expect(await db.schema.hasColumn("projects", "effective_definition_json")).toBe(false);
    const projectId = await seedLegacyRows(db);
    const before = await counts(db);

    await db.migrate.latest({ migrationSource: migrations });
    expect(await counts(db)).toEqual(before);
    expect(
      await db("projects")
        .where({ id: projectId })
        .first(
          "requested_definition_json",
          "effective_definition_json",
          "positive_cases",
          "treated_cases",
        ),
    ).toEqual({
      requested_definition_json: null,
      effective_definition_json: null,
      positive_cases: null,
      treated_cases: null,
    });
    const project = await getProject(db, projectId);
    expect(project.definition).toBeUndefined();
    expect(project.dataset).toMatchObject({ cases: 4, positiveCases: 0, treatedCases: 0 });
    const [plugin] = await listPluginViews(db, new PluginSessions(60_000));
    expect(plugin).toMatchObject({ key: "knn", parameters: { k: 3 }, neededColumns: [] });

    await db.migrate.down({ migrationSource: migrations, name: migration });
    expect(await counts(db)).toEqual(before);
    expect(await db.schema.hasColumn("plugins", "needed_columns_json")).toBe(false);
    expect(await db.schema.hasColumn("projects", "positive_cases")).toBe(false);
  });
});
