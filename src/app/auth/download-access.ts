/** Which datasets a caller may download: a plugin only those of projects it is a member of. */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { datasetAccessOf } from "../../store/sql/tokens.js";
import { describePrincipal, type Principal } from "./principal.js";

/**
 * Refuses a plugin the training/holdout set of a project without a membership of its key, and
 * the running cases of a prescription job without a request of its key.
 * A name that is no project's dataset is left to the download itself (NOT_FOUND). Development
 * mode may read every dataset; consumers never reach DownloadDataset (see the method rules).
 */
export async function checkDownloadAllowed(
  db: Knex,
  principal: Principal,
  name: string,
): Promise<void> {
  if (principal.kind !== "plugin" || name === "") return;
  const access = await datasetAccessOf(db, name, principal.key);
  if (access.isProjectDataset && !access.assigned) {
    throw new AppError(
      "PERMISSION_DENIED",
      `${describePrincipal(principal)} may download only the datasets of projects plugin key "${principal.key}" is a member of; "${name.slice(0, 100)}" belongs to another project or job (use the training_df_name of your own TrainingData, or the dataset_name of your own PrescriptionRequest)`,
    );
  }
}
