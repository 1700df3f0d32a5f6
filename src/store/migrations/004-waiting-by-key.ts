import type { Knex } from "knex";

/**
 * The WAITING assignments of a plugin key in id order, for the lease query of the dispatcher
 * on PostgreSQL (`leaseNextDeliveries`). Without it PostgreSQL walked the primary key, past
 * every finished assignment of every key, on each hand-out: 1.9 ms a call, most of the
 * database's time under load. SQLite needs none: its index on (plugin_key, status) already
 * keeps the rows of a key and status in rowid order.
 */
export async function up(db: Knex): Promise<void> {
  if (db.client.config.client !== "pg") return;
  await db.raw(
    "CREATE INDEX assignments_waiting_by_key ON assignments (plugin_key, id) WHERE status = 'WAITING'",
  );
}

export async function down(db: Knex): Promise<void> {
  if (db.client.config.client !== "pg") return;
  await db.raw("DROP INDEX IF EXISTS assignments_waiting_by_key");
}
