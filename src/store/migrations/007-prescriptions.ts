import type { Knex } from "knex";

/**
 * Prescriptions and stored models.
 *
 * - A plugin key says in its OnlineReport whether it answers prescription requests.
 * - A membership may keep its model in the blob store (`model_blob_id`), under the name it was
 *   uploaded with; `ModelName` must then repeat that name.
 * - A prescription job is one dataset of running cases for one project: the upload it was made
 *   from, the normalized running-cases set once prepared, and its cases in dataset order
 *   (`job_cases`, so results list in that order and a part's case ids are checked).
 * - A prescription request is one membership's part of a job: leased to an instance of its key
 *   like a WAITING membership (replica claim columns alike), with a deadline; its results are one
 *   row per answered case.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable("plugins", (t) => {
    t.boolean("prescribes").notNullable().defaultTo(false);
  });
  await db.schema.alterTable("memberships", (t) => {
    // No foreign key: SQLite cannot drop a column that has one (see `down`).
    t.string("model_blob_id", 64).nullable();
    t.text("model_upload_name").nullable();
  });

  await db.schema.createTable("prescription_jobs", (t) => {
    t.string("id", 64).primary();
    t.bigInteger("project_id").notNullable().references("projects.id").onDelete("CASCADE");
    t.string("request_id", 200).nullable().unique();
    // PREPARING, RUNNING, DONE, ERROR.
    t.string("status", 32).notNullable();
    t.text("error").notNullable().defaultTo("");
    t.string("raw_blob_id", 64).notNullable().references("blobs.id");
    // The normalized running-cases set; null while PREPARING.
    t.string("cases_blob_id", 64).nullable().references("blobs.id");
    t.bigInteger("cases").notNullable().defaultTo(0);
    // The replica preparing the job (PostgreSQL); another takes over once it is gone.
    t.string("preparing_replica", 100).nullable();
    t.bigInteger("created_ms").notNullable();
    t.bigInteger("updated_ms").notNullable();
    t.bigInteger("finished_ms").nullable();
    t.index(["project_id", "created_ms"]);
    t.index(["status"]);
  });

  await db.schema.createTable("job_cases", (t) => {
    t.string("job_id", 64).notNullable().references("prescription_jobs.id").onDelete("CASCADE");
    // 0, 1, 2, ... in the dataset's (running-cases set's) order.
    t.integer("ordinal").notNullable();
    t.text("case_id").notNullable();
    t.primary(["job_id", "ordinal"]);
    t.unique(["job_id", "case_id"]);
  });

  await db.schema.createTable("prescription_requests", (t) => {
    // The protocol's request_id.
    t.string("id", 64).primary();
    t.string("job_id", 64).notNullable().references("prescription_jobs.id").onDelete("CASCADE");
    t.bigInteger("membership_id").notNullable().references("memberships.id").onDelete("CASCADE");
    t.string("plugin_key", 200).notNullable();
    // WAITING, RUNNING, DONE, ERROR, TIMED_OUT, NOT_SERVING.
    t.string("status", 32).notNullable();
    t.text("detail").notNullable().defaultTo("");
    t.bigInteger("cases_done").notNullable().defaultTo(0);
    // When the plugin's part runs out of time; null once finished (or never sent).
    t.bigInteger("deadline_ms").nullable();
    t.bigInteger("first_delivered_ms").nullable();
    // Replica claim while an instance of that replica holds the request.
    t.string("claim_replica", 100).nullable();
    t.bigInteger("claim_expires_ms").nullable();
    t.bigInteger("created_ms").notNullable();
    t.bigInteger("updated_ms").notNullable();
    t.index(["job_id"]);
    t.index(["plugin_key", "status"]);
    t.index(["deadline_ms"]);
  });

  await db.schema.createTable("prescription_results", (t) => {
    t.string("request_id", 64)
      .notNullable()
      .references("prescription_requests.id")
      .onDelete("CASCADE");
    // `job_cases.ordinal` of the case.
    t.integer("case_ordinal").notNullable();
    t.text("type").notNullable();
    // JSON of the google.protobuf.Value (`null` for no prescription).
    t.text("output_json").notNullable();
    t.text("detail").notNullable().defaultTo("");
    // JSON object: the Prescription.model Struct.
    t.text("model_json").notNullable().defaultTo("{}");
    t.primary(["request_id", "case_ordinal"]);
  });
}

/** Native DROP COLUMN on both databases (see 006: knex's SQLite way rebuilds the table). */
export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable("prescription_results");
  await db.schema.dropTable("prescription_requests");
  await db.schema.dropTable("job_cases");
  await db.schema.dropTable("prescription_jobs");
  await db.raw("ALTER TABLE memberships DROP COLUMN model_upload_name");
  await db.raw("ALTER TABLE memberships DROP COLUMN model_blob_id");
  await db.raw("ALTER TABLE plugins DROP COLUMN prescribes");
}
