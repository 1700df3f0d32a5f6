/** The membership a model call names, checked: it exists, in that project, for that caller. */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { type ModelTargetRow, readModelTarget } from "../../store/sql/models.js";
import { findProject } from "../../store/sql/projects.js";
import { checkModelAccess, type ModelAction } from "../auth/model-access.js";
import type { Principal } from "../auth/principal.js";

export interface ModelRef {
  readonly projectId: number;
  /** The membership (`TrainingData.plugin_id`). */
  readonly pluginId: number;
}

export function checkModelRef(ref: ModelRef): void {
  if (!Number.isSafeInteger(ref.projectId) || ref.projectId <= 0) {
    throw new AppError("INVALID_ARGUMENT", "project_id is required (a positive id)");
  }
  if (!Number.isSafeInteger(ref.pluginId) || ref.pluginId <= 0) {
    throw new AppError(
      "INVALID_ARGUMENT",
      "plugin_id is required (a positive id: TrainingData.plugin_id, or ProjectPlugin.plugin_id)",
    );
  }
}

/**
 * Reads the membership `ref` names, checked in this order: NOT_FOUND (no such project, or the
 * membership is not part of it), then PERMISSION_DENIED (see checkModelAccess). `lock`: see
 * readModelTarget.
 */
export async function findModelTarget(
  db: Knex,
  ref: ModelRef,
  principal: Principal,
  action: ModelAction,
  lock = false,
): Promise<ModelTargetRow> {
  const target = await readModelTarget(db, ref.pluginId, { lock });
  if (!target || target.project_id !== ref.projectId) {
    throw new AppError(
      "NOT_FOUND",
      (await findProject(db, ref.projectId))
        ? `plugin_id ${ref.pluginId} is not part of project ${ref.projectId}`
        : `project ${ref.projectId} does not exist`,
    );
  }
  checkModelAccess(principal, { pluginId: target.id, pluginKey: target.plugin_key }, action);
  return target;
}
