/**
 * The memberships that get a project's live prescription requests: TRAINED, and their key
 * prescribes. The one place that says so (a serving flag of memberships joins here).
 */
import type { Knex } from "knex";
import { trainedMemberships } from "../../../store/sql/job-requests.js";

export async function servingMemberships(
  db: Knex,
  projectId: number,
): Promise<{ id: number; plugin_key: string }[]> {
  const memberships = await trainedMemberships(db, projectId);
  return memberships
    .filter((membership) => membership.prescribes)
    .map(({ id, plugin_key }) => ({ id, plugin_key }));
}
