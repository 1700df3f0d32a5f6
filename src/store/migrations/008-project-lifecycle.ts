import type { Knex } from "knex";

/**
 * Projects over their whole life.
 *
 * - `projects.source_project_id`: the project a new one was trained again from (no foreign key:
 *   the source may be deleted, the lineage stays).
 * - `memberships.serving`: whether a TRAINED membership answers new prescription jobs.
 * - `deleted_projects`: a tombstone per deleted project id, so that a plugin's later report is
 *   told the project was deleted (FAILED_PRECONDITION) rather than that it never existed. The
 *   project's own rows are really gone, so no other query needs to filter deleted projects.
 *   Ids are never reused (PostgreSQL sequences; SQLite AUTOINCREMENT).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable("projects", (t) => {
    t.bigInteger("source_project_id").nullable();
  });
  await db.schema.alterTable("memberships", (t) => {
    t.boolean("serving").notNullable().defaultTo(true);
  });
  await db.schema.createTable("deleted_projects", (t) => {
    t.bigInteger("id").primary();
    t.bigInteger("deleted_ms").notNullable();
  });
}

/** Native DROP COLUMN on both databases (see 006: knex's SQLite way rebuilds the table). */
export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable("deleted_projects");
  await db.raw("ALTER TABLE memberships DROP COLUMN serving");
  await db.raw("ALTER TABLE projects DROP COLUMN source_project_id");
}
