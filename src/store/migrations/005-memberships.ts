import type { Knex } from "knex";

/**
 * One word for one concept: a plugin's place in a project is a *membership* (its id is the
 * protocol's `plugin_id`), and a replica's hold on one in the database is a *claim* (a *lease*
 * is only the in-memory hand-out to a connected instance). Renames only; no data changes.
 */
const renamedIndexes: [string, string, string][] = [
  ["assignments_project_id_index", "memberships_project_id_index", "(project_id)"],
  [
    "assignments_plugin_key_status_index",
    "memberships_plugin_key_status_index",
    "(plugin_key, status)",
  ],
  ["assignments_deadline_ms_index", "memberships_deadline_ms_index", "(deadline_ms)"],
];

export async function up(db: Knex): Promise<void> {
  await db.raw("ALTER TABLE assignments RENAME TO memberships");
  await db.raw("ALTER TABLE memberships RENAME COLUMN lease_replica TO claim_replica");
  await db.raw("ALTER TABLE memberships RENAME COLUMN lease_expires_ms TO claim_expires_ms");
  await db.raw("ALTER TABLE events RENAME COLUMN assignment_id TO membership_id");
  if (db.client.config.client === "pg") {
    for (const [from, to] of renamedIndexes) await db.raw(`ALTER INDEX ${from} RENAME TO ${to}`);
    await db.raw("ALTER INDEX assignments_waiting_by_key RENAME TO memberships_waiting_by_key");
    await db.raw("ALTER INDEX assignments_pkey RENAME TO memberships_pkey");
    await db.raw("ALTER SEQUENCE assignments_id_seq RENAME TO memberships_id_seq");
    await db.raw(
      "ALTER TABLE memberships RENAME CONSTRAINT assignments_project_id_foreign TO memberships_project_id_foreign",
    );
    return;
  }
  // SQLite cannot rename an index: each is built again under its new name.
  for (const [from, to, columns] of renamedIndexes) {
    await db.raw(`DROP INDEX ${from}`);
    await db.raw(`CREATE INDEX ${to} ON memberships ${columns}`);
  }
}

export async function down(db: Knex): Promise<void> {
  if (db.client.config.client === "pg") {
    for (const [from, to] of renamedIndexes) await db.raw(`ALTER INDEX ${to} RENAME TO ${from}`);
    await db.raw("ALTER INDEX memberships_waiting_by_key RENAME TO assignments_waiting_by_key");
    await db.raw("ALTER INDEX memberships_pkey RENAME TO assignments_pkey");
    await db.raw("ALTER SEQUENCE memberships_id_seq RENAME TO assignments_id_seq");
    await db.raw(
      "ALTER TABLE memberships RENAME CONSTRAINT memberships_project_id_foreign TO assignments_project_id_foreign",
    );
  } else {
    for (const [from, to, columns] of renamedIndexes) {
      await db.raw(`DROP INDEX ${to}`);
      await db.raw(`CREATE INDEX ${from} ON memberships ${columns}`);
    }
  }
  await db.raw("ALTER TABLE events RENAME COLUMN membership_id TO assignment_id");
  await db.raw("ALTER TABLE memberships RENAME COLUMN claim_expires_ms TO lease_expires_ms");
  await db.raw("ALTER TABLE memberships RENAME COLUMN claim_replica TO lease_replica");
  await db.raw("ALTER TABLE memberships RENAME TO assignments");
}
