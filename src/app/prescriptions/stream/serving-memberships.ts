/**
 * The memberships that get a project's live prescription requests: TRAINED, their key
 * prescribes, and not set to stop serving (SetPluginServing). The one place that says so.
 */
import type { Knex } from "knex";
import { trainedMemberships } from "../../../store/sql/job-requests.js";

export async function servingMemberships(
  db: Knex,
  projectId: number,
): Promise<{ id: number; plugin_key: string }[]> {
  const memberships = await trainedMemberships(db, projectId);
  return memberships
    .filter((membership) => membership.prescribes && membership.serving)
    .map(({ id, plugin_key }) => ({ id, plugin_key }));
}
