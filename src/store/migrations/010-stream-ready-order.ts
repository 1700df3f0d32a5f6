import type { Knex } from "knex";

/**
 * Live requests are handed out oldest event first among a key's open requests, each only once
 * no earlier request of its membership and case is open.
 *
 * - (plugin_key, status) becomes (plugin_key, status, event_id): a delivery round read and
 *   sorted all of a key's open requests; now it reads the WAITING ones in event order and
 *   stops once it has enough (see `stream-deliveries.ts`).
 * - (membership_id, case_id, event_id) becomes (membership_id, case_id, status, event_id): the
 *   "earlier request still open" probe read every earlier request of the case from the table
 *   to learn its status; now it seeks the open ones in the index alone.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable("stream_requests", (t) => {
    t.dropIndex(["plugin_key", "status"]);
    t.index(["plugin_key", "status", "event_id"]);
    t.dropIndex(["membership_id", "case_id", "event_id"]);
    t.index(["membership_id", "case_id", "status", "event_id"]);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable("stream_requests", (t) => {
    t.dropIndex(["membership_id", "case_id", "status", "event_id"]);
    t.index(["membership_id", "case_id", "event_id"]);
    t.dropIndex(["plugin_key", "status", "event_id"]);
    t.index(["plugin_key", "status"]);
  });
}
