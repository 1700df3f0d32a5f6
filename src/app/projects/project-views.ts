/** Read models for consumers: projects with their plugins and dataset, and known plugins. */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import {
  type ColumnDefinition,
  type EffectiveDefinition,
  effectiveDefinitionFromJson,
} from "../../domain/event-log/index.js";
import type { PluginStatus, ProjectStatus } from "../../domain/statuses.js";
import type { MembershipRow, ProjectRow } from "../../store/rows.js";
import { blobSizes } from "../../store/sql/blobs.js";
import { listMembershipsOfProjects } from "../../store/sql/memberships.js";
import { modelSizes } from "../../store/sql/models.js";
import { listPlugins } from "../../store/sql/plugins.js";
import { findProject, listProjects } from "../../store/sql/projects.js";
import type { PluginSessions } from "../plugins/plugin-sessions.js";

export interface DatasetView {
  trainingDfName: string;
  holdoutDfName: string;
  rows: number;
  trainingRows: number;
  holdoutRows: number;
  cases: number;
  columns: string[];
  caseIdColumn: string;
  /** Training cases with OUTCOME 1; 0 without OUTCOME. */
  positiveCases: number;
  /** Training cases with TREATMENT 1; 0 without TREATMENT. */
  treatedCases: number;
}

export interface ProjectPluginView {
  pluginId: number;
  key: string;
  status: PluginStatus;
  modelName: string;
  error: string;
  updatedMs: number;
  /** The size of the model stored in the core; 0 when the plugin keeps its model itself. */
  modelSizeBytes: number;
  /** TRAINED and not taken out of new prescription jobs (SetPluginServing). */
  serving: boolean;
}

export interface PreprocessingProgressView {
  rowsDone: number;
  bytesDone: number;
  bytesTotal: number;
  done: boolean;
}

export interface ProjectView {
  id: number;
  name: string;
  description: string;
  status: ProjectStatus;
  error: string;
  createdMs: number;
  updatedMs: number;
  requestId: string;
  pluginKeys: string[];
  dataset: DatasetView | undefined;
  preprocessing: PreprocessingProgressView;
  plugins: ProjectPluginView[];
  /** The effective event-log definition; undefined for a project created without one. */
  definition: EffectiveDefinition | undefined;
  /** The project this one was trained again from; 0 for none. */
  sourceProjectId: number;
}

export interface PluginView {
  key: string;
  name: string;
  type: string;
  description: string;
  parameters: Record<string, unknown>;
  online: boolean;
  instances: number;
  lastSeenMs: number;
  /** What the plugin needs in a training set, from its latest OnlineReport. */
  neededColumns: ColumnDefinition[];
  /** The key answers prescription requests (its latest OnlineReport said so). */
  prescribes: boolean;
}

function datasetView(row: ProjectRow): DatasetView | undefined {
  if (row.preprocessed_ms === null) return undefined;
  return {
    trainingDfName: row.training_blob_id ?? "",
    holdoutDfName: row.holdout_blob_id ?? "",
    rows: row.rows ?? 0,
    trainingRows: row.training_rows ?? 0,
    holdoutRows: row.holdout_rows ?? 0,
    cases: row.cases ?? 0,
    columns: JSON.parse(row.columns_json ?? "[]") as string[],
    caseIdColumn: row.case_id_column ?? "",
    positiveCases: row.positive_cases ?? 0,
    treatedCases: row.treated_cases ?? 0,
  };
}

export function projectView(
  row: ProjectRow,
  memberships: readonly MembershipRow[],
  rawSizeBytes: number,
  /** Stored models' sizes by membership id (see `modelSizes`). */
  modelSizes: ReadonlyMap<number, number> = new Map(),
): ProjectView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    status: row.status as ProjectStatus,
    error: row.error,
    createdMs: row.created_ms,
    updatedMs: row.updated_ms,
    requestId: row.request_id ?? "",
    pluginKeys: JSON.parse(row.plugin_keys_json) as string[],
    dataset: datasetView(row),
    preprocessing: {
      rowsDone: row.progress_rows,
      bytesDone: row.progress_bytes,
      bytesTotal: rawSizeBytes,
      done: row.preprocessed_ms !== null || row.status === "ERROR",
    },
    plugins: memberships.map((a) => ({
      pluginId: a.id,
      key: a.plugin_key,
      status: a.status as PluginStatus,
      modelName: a.model_name,
      error: a.error,
      updatedMs: a.updated_ms,
      modelSizeBytes: modelSizes.get(a.id) ?? 0,
      serving: a.status === "TRAINED" && Boolean(a.serving),
    })),
    sourceProjectId: row.source_project_id ?? 0,
    definition:
      row.effective_definition_json === null
        ? undefined
        : effectiveDefinitionFromJson(row.effective_definition_json),
  };
}

export async function getProject(db: Knex, projectId: number): Promise<ProjectView> {
  if (!Number.isSafeInteger(projectId) || projectId <= 0) {
    throw new AppError("INVALID_ARGUMENT", "project_id must be a positive id");
  }
  const row = await findProject(db, projectId);
  if (!row) throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
  const sizes = await blobSizes(db, [row.raw_blob_id]);
  const memberships = await listMembershipsOfProjects(db, [projectId]);
  return projectView(
    row,
    memberships,
    sizes.get(row.raw_blob_id) ?? 0,
    await storedModelSizes(db, memberships),
  );
}

/** The sizes of the models stored for those of `memberships` that have one. */
function storedModelSizes(
  db: Knex,
  memberships: readonly MembershipRow[],
): Promise<Map<number, number>> {
  return modelSizes(
    db,
    memberships.filter((a) => a.model_blob_id !== null).map((a) => a.id),
  );
}

export const defaultPageSize = 50;
export const maxPageSize = 500;

function parsePageToken(token: string): number | undefined {
  if (token === "") return undefined;
  const match = /^p(\d{1,15})$/.exec(token);
  if (!match) throw new AppError("INVALID_ARGUMENT", "page_token is not one this server issued");
  return Number(match[1]);
}

export async function listProjectPage(
  db: Knex,
  pageSize: number,
  pageToken: string,
): Promise<{ projects: ProjectView[]; nextPageToken: string }> {
  if (pageSize < 0) throw new AppError("INVALID_ARGUMENT", "page_size must not be negative");
  const limit = Math.min(pageSize || defaultPageSize, maxPageSize);
  const rows = await listProjects(db, limit + 1, parsePageToken(pageToken));
  const page = rows.slice(0, limit);
  const memberships = await listMembershipsOfProjects(
    db,
    page.map((row) => row.id),
  );
  const byProject = new Map<number, MembershipRow[]>();
  for (const a of memberships)
    byProject.set(a.project_id, [...(byProject.get(a.project_id) ?? []), a]);
  const sizes = await blobSizes(
    db,
    page.map((row) => row.raw_blob_id),
  );
  const models = await storedModelSizes(db, memberships);
  const last = page.at(-1);
  return {
    projects: page.map((row) =>
      projectView(row, byProject.get(row.id) ?? [], sizes.get(row.raw_blob_id) ?? 0, models),
    ),
    nextPageToken: rows.length > limit && last ? `p${last.id}` : "",
  };
}

export async function listPluginViews(db: Knex, sessions: PluginSessions): Promise<PluginView[]> {
  const nowMs = Date.now();
  return (await listPlugins(db)).map((row) => {
    const instances = sessions.onlineCount(row.key, nowMs);
    return {
      key: row.key,
      name: row.name,
      type: row.type,
      description: row.description,
      parameters: JSON.parse(row.parameters_json) as Record<string, unknown>,
      online: instances > 0,
      instances,
      lastSeenMs: row.last_seen_ms,
      neededColumns: JSON.parse(row.needed_columns_json) as ColumnDefinition[],
      prescribes: Boolean(row.prescribes),
    };
  });
}
