/**
 * SetPluginServing: whether a TRAINED membership answers the project's new prescription jobs.
 * The change and a membership event saying so are one transaction; setting what is already set
 * changes nothing and stores no event.
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { inTransaction } from "../../store/commits/transactions.js";
import type { MembershipRow } from "../../store/rows.js";
import { appendEvents } from "../../store/sql/events.js";
import { lockProject } from "../../store/sql/projects.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";
import { getProject, type ProjectPluginView } from "./project-views.js";

export interface SetPluginServingInput {
  readonly projectId: number;
  readonly pluginId: number;
  readonly serving: boolean;
}

export async function setPluginServing(
  db: Knex,
  feed: ChangeFeed,
  input: SetPluginServingInput,
): Promise<ProjectPluginView> {
  const { projectId, pluginId, serving } = input;
  for (const [field, id] of [
    ["project_id", projectId],
    ["plugin_id", pluginId],
  ] as const) {
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new AppError("INVALID_ARGUMENT", `${field} must be a positive id`);
    }
  }
  await inTransaction(db, async ({ trx, afterCommit }) => {
    const project = await lockProject(trx, projectId);
    if (!project) throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
    const membership: MembershipRow | undefined = await trx<MembershipRow>("memberships")
      .where({ id: pluginId, project_id: projectId })
      .first();
    if (!membership) {
      throw new AppError("NOT_FOUND", `plugin_id ${pluginId} is not part of project ${projectId}`);
    }
    if (membership.status !== "TRAINED") {
      throw new AppError(
        "FAILED_PRECONDITION",
        `plugin_id ${pluginId} ("${membership.plugin_key}") is ${membership.status}; only a TRAINED plugin serves prescriptions`,
      );
    }
    if (Boolean(membership.serving) === serving) return;
    const nowMs = Date.now();
    await trx("memberships").where({ id: pluginId }).update({ serving });
    await trx("projects").where({ id: projectId }).update({ updated_ms: nowMs });
    await appendEvents(trx, [
      {
        project_id: projectId,
        membership_id: pluginId,
        plugin_key: membership.plugin_key,
        project_status: project.status,
        plugin_status: "TRAINED",
        detail: serving ? "set to serve prescriptions" : "set not to serve prescriptions",
        created_ms: nowMs,
      },
    ]);
    afterCommit(() => feed.projectChanged(projectId));
  });
  const view = await getProject(db, projectId);
  const plugin = view.plugins.find((p) => p.pluginId === pluginId);
  if (!plugin) throw new AppError("NOT_FOUND", `project ${projectId} was deleted`);
  return plugin;
}
