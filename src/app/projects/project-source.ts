/**
 * Training again: a CreateProject request with `source_project_id` takes the stored dataset of
 * another project (no upload) and, for every field it leaves empty, the source's value.
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { requestedDefinitionFromJson } from "../../domain/event-log/index.js";
import type { BlobRow, ProjectRow } from "../../store/rows.js";
import { findCompleteBlob } from "../../store/sql/blobs.js";
import { findProject } from "../../store/sql/projects.js";
import type { CreateProjectInput } from "./create-project-input.js";

export interface ProjectSource {
  /** The request with the source's values where it left a field empty. */
  readonly input: CreateProjectInput;
  /** The source's stored dataset, which the new project shares. */
  readonly dataset: BlobRow;
}

type PerKey = Record<string, Record<string, unknown>>;

function only(map: PerKey, keys: readonly string[] | undefined): PerKey {
  if (!keys) return map;
  return Object.fromEntries(Object.entries(map).filter(([key]) => keys.includes(key)));
}

/** The source of `input` (NOT_FOUND, or FAILED_PRECONDITION while it still preprocesses or trains). */
export async function resolveProjectSource(
  db: Knex,
  input: CreateProjectInput,
): Promise<ProjectSource> {
  const sourceId = input.sourceProjectId ?? 0;
  if (!Number.isSafeInteger(sourceId) || sourceId <= 0) {
    throw new AppError("INVALID_ARGUMENT", "source_project_id must be a positive id");
  }
  if (input.datasetCsv.length > 0 || input.datasetId !== "") {
    throw new AppError(
      "INVALID_ARGUMENT",
      "source_project_id reuses the source's dataset: set neither dataset_csv nor dataset_id with it",
    );
  }
  const source = await findProject(db, sourceId);
  if (!source) throw new AppError("NOT_FOUND", `project ${sourceId} does not exist`);
  if (source.status !== "TRAINED" && source.status !== "ERROR") {
    throw new AppError(
      "FAILED_PRECONDITION",
      `project ${sourceId} is ${source.status}; train again from a TRAINED or ERROR project`,
    );
  }
  const dataset = await findCompleteBlob(db, source.raw_blob_id);
  if (!dataset) {
    throw new AppError("FAILED_PRECONDITION", `the dataset of project ${sourceId} is gone`);
  }
  return { input: merged(input, source), dataset };
}

function merged(input: CreateProjectInput, source: ProjectRow): CreateProjectInput {
  const sourceKeys = JSON.parse(source.plugin_keys_json) as string[];
  const pluginKeys = input.pluginKeys.length > 0 ? input.pluginKeys : sourceKeys;
  const inherit = (given: PerKey, stored: string): PerKey =>
    Object.keys(given).length > 0 ? given : only(JSON.parse(stored) as PerKey, pluginKeys);
  return {
    ...input,
    description: input.description || source.description,
    caseIdColumn:
      input.caseIdColumn || (input.definition === undefined ? source.requested_case_id_column : ""),
    holdoutFraction: input.holdoutFraction ?? Number(source.holdout_fraction),
    pluginKeys,
    parameters: inherit(input.parameters, source.parameters_json),
    additionalInfo: inherit(input.additionalInfo, source.additional_info_json),
    definition:
      input.definition ??
      (source.requested_definition_json === null
        ? undefined
        : requestedDefinitionFromJson(source.requested_definition_json)),
  };
}
