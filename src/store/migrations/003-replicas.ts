import type { Knex } from "knex";

/**
 * Several core replicas on one PostgreSQL database (on SQLite there is only ever one): who is
 * alive, which plugin instances each holds, and who works on what. Everything a replica owns is
 * owned through its `replicas` row: once its heartbeat is older than the replica TTL, the others
 * take its work over.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable("replicas", (t) => {
    t.string("id", 100).primary();
    t.text("address").notNullable().defaultTo("");
    t.bigInteger("started_ms").notNullable();
    t.bigInteger("heartbeat_ms").notNullable();
  });

  // Connected plugin instances, by replica: ListPlugins counts them across replicas.
  await db.schema.createTable("plugin_sessions", (t) => {
    t.string("replica_id", 100).notNullable().references("replicas.id").onDelete("CASCADE");
    t.bigInteger("session_id").notNullable();
    t.string("plugin_key", 200).notNullable();
    t.bigInteger("connected_ms").notNullable();
    // Last registration or OnlineReport, written in bulk with the replica's heartbeat.
    t.bigInteger("last_answer_ms").notNullable();
    t.primary(["replica_id", "session_id"]);
    t.index(["plugin_key"]);
  });

  await db.schema.alterTable("assignments", (t) => {
    // Delivery lease: the replica that handed this WAITING assignment to one of its instances,
    // and until when no other replica may hand it out.
    t.string("lease_replica", 100).nullable();
    t.bigInteger("lease_expires_ms").nullable();
  });

  await db.schema.alterTable("projects", (t) => {
    // The replica preprocessing this project; another takes over once it is gone.
    t.string("preprocessing_replica", 100).nullable();
  });

  await db.schema.alterTable("blobs", (t) => {
    // The replica writing an incomplete blob: its leftovers are removed once it is gone.
    t.string("writer_replica", 100).nullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable("blobs", (t) => t.dropColumn("writer_replica"));
  await db.schema.alterTable("projects", (t) => t.dropColumn("preprocessing_replica"));
  await db.schema.alterTable("assignments", (t) => {
    t.dropColumn("lease_replica");
    t.dropColumn("lease_expires_ms");
  });
  await db.schema.dropTableIfExists("plugin_sessions");
  await db.schema.dropTableIfExists("replicas");
}
