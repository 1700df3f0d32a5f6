import type { Knex } from "knex";

export async function up(db: Knex): Promise<void> {
  // Plugin kinds, keyed by the OnlineReport id; the latest report wins.
  await db.schema.createTable("plugins", (t) => {
    t.string("key", 200).primary();
    t.text("name").notNullable();
    t.text("type").notNullable();
    t.text("description").notNullable();
    t.text("parameters_json").notNullable();
    t.bigInteger("first_seen_ms").notNullable();
    t.bigInteger("last_seen_ms").notNullable();
  });

  // Stored files (uploads, training and holdout sets), written in chunks; readable once complete.
  await db.schema.createTable("blobs", (t) => {
    t.string("id", 64).primary();
    t.text("file_name").notNullable().defaultTo("");
    t.bigInteger("size_bytes").notNullable().defaultTo(0);
    t.string("sha256", 64).notNullable().defaultTo("");
    t.boolean("complete").notNullable().defaultTo(false);
    t.bigInteger("created_ms").notNullable();
  });
  await db.schema.createTable("blob_chunks", (t) => {
    t.string("blob_id", 64).notNullable().references("blobs.id").onDelete("CASCADE");
    t.integer("seq").notNullable();
    // Byte offset of this chunk in the file: lets a download resume in the middle.
    t.bigInteger("start_offset").notNullable();
    t.binary("data").notNullable();
    t.primary(["blob_id", "seq"]);
  });

  await db.schema.createTable("projects", (t) => {
    t.bigIncrements("id").primary();
    t.text("name").notNullable();
    t.text("description").notNullable();
    t.string("status", 32).notNullable();
    t.text("error").notNullable().defaultTo("");
    t.string("request_id", 200).nullable().unique();
    t.text("plugin_keys_json").notNullable();
    t.text("parameters_json").notNullable();
    t.text("additional_info_json").notNullable();
    t.text("requested_case_id_column").notNullable();
    t.double("holdout_fraction").notNullable();
    t.string("raw_blob_id", 64).notNullable().references("blobs.id");
    // Filled when preprocessing succeeded.
    t.bigInteger("preprocessed_ms").nullable();
    t.string("training_blob_id", 64).nullable().references("blobs.id");
    t.string("holdout_blob_id", 64).nullable().references("blobs.id");
    t.bigInteger("rows").nullable();
    t.bigInteger("training_rows").nullable();
    t.bigInteger("holdout_rows").nullable();
    t.bigInteger("cases").nullable();
    t.text("columns_json").nullable();
    t.text("case_id_column").nullable();
    // Preprocessing progress: rows and stored-file bytes read so far.
    t.bigInteger("progress_rows").notNullable().defaultTo(0);
    t.bigInteger("progress_bytes").notNullable().defaultTo(0);
    t.bigInteger("created_ms").notNullable();
    t.bigInteger("updated_ms").notNullable();
    t.index(["status"]);
  });

  // One plugin's membership in one project: its id is the protocol's plugin_id.
  await db.schema.createTable("assignments", (t) => {
    t.bigIncrements("id").primary();
    t.bigInteger("project_id").notNullable().references("projects.id").onDelete("CASCADE");
    t.string("plugin_key", 200).notNullable();
    t.string("status", 32).notNullable();
    t.text("model_name").notNullable().defaultTo("");
    t.text("error").notNullable().defaultTo("");
    t.text("parameters_json").notNullable();
    t.text("additional_info_json").notNullable();
    // When the current phase runs out of time; null once finished.
    t.bigInteger("deadline_ms").nullable();
    t.bigInteger("created_ms").notNullable();
    t.bigInteger("updated_ms").notNullable();
    t.index(["project_id"]);
    t.index(["plugin_key", "status"]);
    t.index(["deadline_ms"]);
  });

  // Append-only history of every project and plugin status change.
  await db.schema.createTable("events", (t) => {
    t.bigIncrements("id").primary();
    t.bigInteger("project_id").notNullable().references("projects.id").onDelete("CASCADE");
    t.bigInteger("assignment_id").nullable();
    t.string("plugin_key", 200).notNullable().defaultTo("");
    t.string("project_status", 32).notNullable();
    t.string("plugin_status", 32).nullable();
    t.text("detail").notNullable().defaultTo("");
    t.bigInteger("created_ms").notNullable();
    t.index(["project_id", "id"]);
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ["events", "assignments", "projects", "blob_chunks", "blobs", "plugins"]) {
    await db.schema.dropTableIfExists(table);
  }
}
