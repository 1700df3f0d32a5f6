import type { Knex } from "knex";
import * as initial from "./001-initial.js";
import * as tokens from "./002-tokens.js";
import * as replicas from "./003-replicas.js";
import * as waitingByKey from "./004-waiting-by-key.js";
import * as memberships from "./005-memberships.js";
import * as eventLogDefinitions from "./006-event-log-definitions.js";
import * as prescriptions from "./007-prescriptions.js";
import * as projectLifecycle from "./008-project-lifecycle.js";
import * as livePrescriptions from "./009-live-prescriptions.js";
import * as streamReadyOrder from "./010-stream-ready-order.js";

interface Migration {
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

/** Numbered migrations, applied in order, each in its own transaction. */
const ordered: [string, Migration][] = [
  ["001-initial", initial],
  ["002-tokens", tokens],
  ["003-replicas", replicas],
  ["004-waiting-by-key", waitingByKey],
  ["005-memberships", memberships],
  ["006-event-log-definitions", eventLogDefinitions],
  ["007-prescriptions", prescriptions],
  ["008-project-lifecycle", projectLifecycle],
  ["009-live-prescriptions", livePrescriptions],
  ["010-stream-ready-order", streamReadyOrder],
];

export const migrations: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: async () => ordered,
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
