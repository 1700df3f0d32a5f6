import type { Knex } from "knex";

/**
 * Event logs with meaning. A project keeps the definition its consumer requested and the
 * effective one the core works with (both JSON; null for a project created without a
 * definition, and the effective one until it is known), and how many training cases are
 * positive and treated once preprocessing counted them. A plugin keeps the columns it declared
 * it needs in its latest OnlineReport.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable("projects", (t) => {
    t.text("requested_definition_json").nullable();
    t.text("effective_definition_json").nullable();
    t.bigInteger("positive_cases").nullable();
    t.bigInteger("treated_cases").nullable();
  });
  await db.schema.alterTable("plugins", (t) => {
    t.text("needed_columns_json").notNullable().defaultTo("[]");
  });
}

/**
 * Native DROP COLUMN on both databases: knex's SQLite way rebuilds the table, and dropping the
 * old `projects` deletes every membership and event through their ON DELETE CASCADE.
 */
export async function down(db: Knex): Promise<void> {
  await db.raw("ALTER TABLE plugins DROP COLUMN needed_columns_json");
  for (const column of newProjectColumns) {
    await db.raw(`ALTER TABLE projects DROP COLUMN ${column}`);
  }
}

const newProjectColumns = [
  "requested_definition_json",
  "effective_definition_json",
  "positive_cases",
  "treated_cases",
] as const;
