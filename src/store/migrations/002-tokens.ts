import type { Knex } from "knex";

export async function up(db: Knex): Promise<void> {
  // Access tokens, stored hashed. A row is never deleted: revoking sets revoked_ms, and any row at
  // all (revoked or not) ends the development mode, so revoking every token cannot reopen the core.
  await db.schema.createTable("tokens", (t) => {
    t.bigIncrements("id").primary();
    // 'plugin' (bound to plugin_key) or 'consumer'.
    t.string("kind", 16).notNullable();
    t.string("plugin_key", 200).nullable();
    // Lower-case hex SHA-256 of the whole token text (prefix included).
    t.string("hash", 64).notNullable().unique();
    t.bigInteger("created_ms").notNullable();
    t.bigInteger("revoked_ms").nullable();
    t.text("label").notNullable().defaultTo("");
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists("tokens");
}
