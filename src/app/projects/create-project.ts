/**
 * CreateProject: validates the request synchronously, then stores the raw dataset, the project
 * (PREPROCESSING) and its first event in one transaction. Preprocessing runs afterwards.
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import {
  definitionToJson,
  type EffectiveDefinition,
  type EventLogDefinition,
  emptyDefinition,
  resolveDefinition,
} from "../../domain/event-log/index.js";
import { hasNul } from "../../domain/text-checks.js";
import { inTransactionOnDriver } from "../../store/commits/transactions.js";
import type { BlobRow, ProjectRow } from "../../store/rows.js";
import { newBlobId } from "../../store/sql/blobs.js";
import { appendEventRows } from "../../store/sql/events.js";
import {
  holdBlob,
  holdProject,
  insertCompleteBlob,
  insertProjectRow,
} from "../../store/sql/new-project-rows.js";
import { findProjectByRequestId, type NewProjectRow } from "../../store/sql/projects.js";
import {
  type DatasetSource,
  findUpload,
  isXesDataset,
  readDatasetHead,
  uploadNotFound,
} from "../datasets/dataset-heads.js";
import { projectEvent } from "../reports/plugin-reports.js";
import type { CreateProjectInput } from "./create-project-input.js";
import type { KnownPluginKeys } from "./known-plugin-keys.js";
import { resolveProjectSource } from "./project-source.js";
import { type ProjectView, projectView } from "./project-views.js";

export type { CreateProjectInput };

export interface CreateProjectDeps {
  readonly db: Knex;
  readonly knownKeys: KnownPluginKeys;
  readonly maxDatasetBytes: number;
  /** Plugin keys with an instance online now. */
  onlineKeys(): string[];
  /** Called once the project is stored. */
  created(projectId: number): void;
}

export const defaultHoldoutFraction = 0.2;

const maxNameLength = 200;
const maxDescriptionLength = 10_000;
const maxRequestIdLength = 200;

const invalid = (message: string) => new AppError("INVALID_ARGUMENT", message);

/** A project's name (1 to 200 characters) and description (up to 10,000), as people see them. */
export function checkNameAndDescription(name: string, description: string): void {
  if (name.trim() === "") throw invalid("name is required");
  if (hasNul(name) || hasNul(description)) {
    throw invalid("text fields must not contain the NUL character (U+0000)");
  }
  if (name.length > maxNameLength) {
    throw invalid(`name is longer than ${maxNameLength} characters`);
  }
  if (description.length > maxDescriptionLength) {
    throw invalid(`description is longer than ${maxDescriptionLength} characters`);
  }
}

function validateFields(
  input: CreateProjectInput,
  maxDatasetBytes: number,
  fromSource: boolean,
): number {
  checkNameAndDescription(input.name, input.description);
  const texts = [
    input.name,
    input.description,
    input.caseIdColumn,
    input.requestId,
    input.datasetId,
    ...input.pluginKeys,
    JSON.stringify(input.parameters),
    JSON.stringify(input.additionalInfo),
  ];
  if (texts.some(hasNul)) throw invalid("text fields must not contain the NUL character (U+0000)");
  if (input.requestId.length > maxRequestIdLength) {
    throw invalid(`request_id is longer than ${maxRequestIdLength} characters`);
  }
  const inline = input.datasetCsv.length > 0;
  if (!fromSource && inline === (input.datasetId !== "")) {
    throw invalid(
      inline
        ? "set only one of dataset_csv and dataset_id"
        : "a dataset is required: dataset_csv (inline) or dataset_id (from UploadDataset)",
    );
  }
  if (input.datasetCsv.length > maxDatasetBytes) {
    throw invalid(
      `dataset_csv has ${input.datasetCsv.length} bytes; the limit is ${maxDatasetBytes} (CORE_MAX_DATASET_BYTES)`,
    );
  }
  const fraction = input.holdoutFraction ?? defaultHoldoutFraction;
  if (!(fraction >= 0 && fraction < 1)) {
    throw invalid(`holdout_fraction must be in [0, 1); got ${input.holdoutFraction}`);
  }
  return fraction;
}

async function resolvePluginKeys(
  input: CreateProjectInput,
  deps: CreateProjectDeps,
): Promise<string[]> {
  const requested = [...new Set(input.pluginKeys)];
  if (requested.length === 0) {
    const online = deps.onlineKeys();
    if (online.length === 0) {
      throw new AppError(
        "FAILED_PRECONDITION",
        "no plugin is online: start a plugin first, or name the plugins in plugin_keys",
      );
    }
    return online;
  }
  const unknown = await deps.knownKeys.unknownOf(requested);
  if (unknown.length > 0) {
    throw invalid(
      `unknown plugin key(s): ${unknown.join(", ")}; a plugin becomes known when it first connects (see ListPlugins)`,
    );
  }
  return requested;
}

function checkPerPluginMaps(input: CreateProjectInput, keys: readonly string[]): void {
  const targets = new Set(keys);
  for (const [field, map] of [
    ["parameters", input.parameters],
    ["additional_info", input.additionalInfo],
  ] as const) {
    const strays = Object.keys(map).filter((key) => !targets.has(key));
    if (strays.length > 0) {
      throw invalid(
        `${field} names plugin key(s) the project does not target: ${strays.join(", ")}`,
      );
    }
  }
}

export interface CreatedProject {
  readonly projectId: number;
  /**
   * The project as just stored (PREPROCESSING, no plugins yet), built from the rows written
   * rather than read back: a read would queue behind the preprocessing the new project starts
   * (SQLite has one connection). Undefined for the project of a repeated `request_id`, which
   * may have moved on since: read it.
   */
  readonly project: ProjectView | undefined;
}

/** Stores the project (or finds the one of a repeated `request_id`). */
export async function createProject(
  given: CreateProjectInput,
  deps: CreateProjectDeps,
): Promise<CreatedProject> {
  const fromSource = (given.sourceProjectId ?? 0) !== 0;
  validateFields(given, deps.maxDatasetBytes, fromSource);
  if (given.requestId) {
    const existing = await findProjectByRequestId(deps.db, given.requestId);
    if (existing) return { projectId: existing.id, project: undefined };
  }
  const source = fromSource ? await resolveProjectSource(deps.db, given) : undefined;
  const input = source?.input ?? given;
  const holdoutFraction = validateFields(input, deps.maxDatasetBytes, fromSource);
  const pluginKeys = await resolvePluginKeys(input, deps);
  checkPerPluginMaps(input, pluginKeys);

  let rawSizeBytes = input.datasetCsv.length;
  let upload: BlobRow | undefined = source?.dataset;
  if (upload) {
    rawSizeBytes = upload.size_bytes;
  } else if (input.datasetId !== "") {
    upload = await findUpload(deps.db, input.datasetId);
    if (!upload) throw uploadNotFound(input.datasetId);
    rawSizeBytes = upload.size_bytes;
  }
  // An XES log has no other mode than an event log's: without a definition, everything is inferred.
  const definition =
    input.definition ??
    ((await isXesDataset(deps.db, datasetSourceOf(input, upload))) ? emptyDefinition : undefined);
  const effective = definition && (await effectiveDefinitionOf(deps.db, input, definition, upload));

  const nowMs = Date.now();
  let row: ProjectRow;
  try {
    row = await inTransactionOnDriver(deps.db, async ({ conn }) => {
      let rawBlobId = source ? source.dataset.id : input.datasetId;
      // The source must still exist when this commits (a concurrent delete would take its dataset).
      if (source && !(await holdProject(conn, input.sourceProjectId ?? 0))) {
        throw new AppError("NOT_FOUND", `project ${input.sourceProjectId} does not exist`);
      }
      // An upload the retention sweep removed since it was looked up is not found either.
      if (!source && upload && !(await holdBlob(conn, upload.id))) {
        throw uploadNotFound(upload.id);
      }
      if (rawBlobId === "") {
        rawBlobId = newBlobId("raw");
        await insertCompleteBlob(conn, rawBlobId, input.datasetCsv, nowMs);
      }
      const fields: NewProjectRow = {
        name: input.name,
        description: input.description,
        status: "PREPROCESSING",
        error: "",
        request_id: input.requestId || null,
        plugin_keys_json: JSON.stringify(pluginKeys),
        parameters_json: JSON.stringify(input.parameters),
        additional_info_json: JSON.stringify(input.additionalInfo),
        requested_case_id_column: input.caseIdColumn,
        holdout_fraction: holdoutFraction,
        raw_blob_id: rawBlobId,
        requested_definition_json: definition ? definitionToJson(definition) : null,
        effective_definition_json: effective ? definitionToJson(effective) : null,
        source_project_id: source ? (input.sourceProjectId ?? null) : null,
        created_ms: nowMs,
        updated_ms: nowMs,
      };
      const id = await insertProjectRow(conn, fields);
      await appendEventRows(conn, [projectEvent(id, "PREPROCESSING", "project created", nowMs)]);
      const stored: ProjectRow = { ...newProjectDefaults, ...fields, id };
      return stored;
    });
  } catch (error) {
    // Two requests with one request_id raced: the loser returns the winner's project.
    const winner = input.requestId && (await findProjectByRequestId(deps.db, input.requestId));
    if (winner) return { projectId: winner.id, project: undefined };
    throw error;
  }
  const project = projectView(row, [], rawSizeBytes);
  deps.created(row.id);
  return { projectId: row.id, project };
}

/** The columns of a new project row that the insert leaves to their defaults. */
const newProjectDefaults = {
  preprocessed_ms: null,
  preprocessing_replica: null,
  training_blob_id: null,
  holdout_blob_id: null,
  rows: null,
  training_rows: null,
  holdout_rows: null,
  cases: null,
  columns_json: null,
  case_id_column: null,
  progress_rows: 0,
  progress_bytes: 0,
  positive_cases: null,
  treated_cases: null,
};

function datasetSourceOf(input: CreateProjectInput, upload: BlobRow | undefined): DatasetSource {
  return upload ? { kind: "upload", upload } : { kind: "inline", bytes: input.datasetCsv };
}

/**
 * The effective definition of `requested` for the dataset of `input` (`upload`, or inline), read
 * from the dataset's head; INVALID_ARGUMENT listing every problem when it does not fit.
 */
async function effectiveDefinitionOf(
  db: Knex,
  input: CreateProjectInput,
  requested: EventLogDefinition,
  upload: BlobRow | undefined,
): Promise<EffectiveDefinition> {
  const head = await readDatasetHead(db, datasetSourceOf(input, upload));
  const resolved = resolveDefinition(head.columns, requested, {
    typedHints: head.typedHints,
    caseIdColumn: input.caseIdColumn,
  });
  if (resolved.ok) return resolved.definition;
  const count = resolved.problems.length;
  throw invalid(
    `the definition does not fit the dataset (${count} problem${count === 1 ? "" : "s"}): ` +
      resolved.problems.join("; "),
  );
}
