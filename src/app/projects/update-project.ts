/**
 * UpdateProject: a project's name and description, as its field mask names them (an empty mask
 * changes both), checked as CreateProject checks them.
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { inTransaction } from "../../store/commits/transactions.js";
import { lockProject } from "../../store/sql/projects.js";
import { checkNameAndDescription } from "./create-project.js";
import { getProject, type ProjectView } from "./project-views.js";

export interface UpdateProjectInput {
  readonly projectId: number;
  readonly name: string;
  readonly description: string;
  /** Field paths: `name`, `description`; empty means both. */
  readonly updateMask: readonly string[];
}

const updatable = ["name", "description"] as const;

export async function updateProject(db: Knex, input: UpdateProjectInput): Promise<ProjectView> {
  if (!Number.isSafeInteger(input.projectId) || input.projectId <= 0) {
    throw new AppError("INVALID_ARGUMENT", "project_id must be a positive id");
  }
  const unknown = input.updateMask.filter(
    (path) => !(updatable as readonly string[]).includes(path),
  );
  if (unknown.length > 0) {
    throw new AppError(
      "INVALID_ARGUMENT",
      `update_mask names ${unknown.map((p) => `"${p.slice(0, 100)}"`).join(", ")}; only name and description can change`,
    );
  }
  const mask = new Set(input.updateMask.length === 0 ? updatable : input.updateMask);
  await inTransaction(db, async ({ trx }) => {
    const project = await lockProject(trx, input.projectId);
    if (!project) throw new AppError("NOT_FOUND", `project ${input.projectId} does not exist`);
    const name = mask.has("name") ? input.name : project.name;
    const description = mask.has("description") ? input.description : project.description;
    checkNameAndDescription(name, description);
    await trx("projects")
      .where({ id: input.projectId })
      .update({ name, description, updated_ms: Date.now() });
  });
  return getProject(db, input.projectId);
}
