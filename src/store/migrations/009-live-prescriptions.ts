import type { Knex } from "knex";

/**
 * Live prescriptions.
 *
 * - `stream_events`: every event posted with PostEvents (its id is the protocol's `event_id`,
 *   increasing in posting order), as posted and as the training set would hold it, with the
 *   `request_id` of the call that posted it (idempotency) and how many of its requests are
 *   still open (`pending`: 0 once every serving plugin answered, failed or timed out; readers
 *   see an event only then).
 * - `stream_requests`: one per event (that does not complete its case) and serving membership,
 *   leased to an instance of the key like a dataset request (same claim columns, same deadline
 *   rule), with the one prescription it answers inline. A table of its own rather than
 *   `prescription_requests` with a null job: those rows belong to a job (finishing one may
 *   finish the job, results are keyed by the job's case ordinals), while a stream request
 *   finishes its event and carries one case; the dispatcher hands both out through the same
 *   instance leases, told apart by their id prefix (`sr_`).
 * - `stream_projects`: per project, how many events are kept (retention deletes the oldest
 *   beyond `CORE_EVENT_RETENTION` without counting them) and the newest id deleted (by retention
 *   or ClearEvents), so a reader whose cursor lies before it is told so.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable("stream_events", (t) => {
    t.bigIncrements("id").primary();
    t.bigInteger("project_id").notNullable().references("projects.id").onDelete("CASCADE");
    t.text("case_id").notNullable();
    // JSON object: the attributes as posted (original column names).
    t.text("attributes_json").notNullable();
    // JSON object: the event as the training set would hold it (empty cells left out).
    t.text("normalized_json").notNullable();
    // The event's instant (its time column), for the case's time order.
    t.bigInteger("time_ms").notNullable();
    t.boolean("case_completed").notNullable().defaultTo(false);
    // The PostEvents request_id ('' without one).
    t.string("request_id", 200).notNullable().defaultTo("");
    // Requests of this event still open.
    t.integer("pending").notNullable().defaultTo(0);
    t.bigInteger("posted_ms").notNullable();
    t.index(["project_id", "id"]);
    t.index(["project_id", "case_id", "id"]);
    t.index(["project_id", "request_id"]);
  });

  await db.schema.createTable("stream_requests", (t) => {
    // The protocol's request_id: `sr_` and 32 hex digits.
    t.string("id", 64).primary();
    t.bigInteger("event_id").notNullable().references("stream_events.id").onDelete("CASCADE");
    t.bigInteger("project_id").notNullable();
    t.bigInteger("membership_id").notNullable().references("memberships.id").onDelete("CASCADE");
    t.string("plugin_key", 200).notNullable();
    t.text("case_id").notNullable();
    // WAITING, RUNNING, DONE, ERROR, TIMED_OUT.
    t.string("status", 32).notNullable();
    t.text("detail").notNullable().defaultTo("");
    t.bigInteger("deadline_ms").nullable();
    t.bigInteger("first_delivered_ms").nullable();
    t.string("claim_replica", 100).nullable();
    t.bigInteger("claim_expires_ms").nullable();
    // The answer: one prescription (null columns until answered).
    t.text("type").nullable();
    t.text("output_json").nullable();
    t.text("result_detail").nullable();
    t.text("model_json").nullable();
    t.bigInteger("created_ms").notNullable();
    t.bigInteger("updated_ms").notNullable();
    t.index(["plugin_key", "status"]);
    t.index(["membership_id", "case_id", "event_id"]);
    t.index(["event_id"]);
    t.index(["deadline_ms"]);
  });

  await db.schema.createTable("stream_projects", (t) => {
    t.bigInteger("project_id").primary().references("projects.id").onDelete("CASCADE");
    t.bigInteger("kept").notNullable().defaultTo(0);
    // Events with ids up to this one were deleted; 0: none.
    t.bigInteger("deleted_through").notNullable().defaultTo(0);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable("stream_projects");
  await db.schema.dropTable("stream_requests");
  await db.schema.dropTable("stream_events");
}
