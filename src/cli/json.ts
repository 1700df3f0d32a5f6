/**
 * `--json` output: the proto3 JSON mapping (lowerCamelCase field names, enum value names,
 * RFC 3339 times) with every field present, unset ones as "", [], 0, false or null, so scripts
 * need no defaults. 64-bit ids are plain numbers (they are safe integers). Fields added to the
 * messages later appear through the generated `toJSON` (when set) until they are listed here.
 */
import type { InspectDatasetResponse } from "../gen/trainingcore/v1/dataset_service.js";
import {
  type CaseRule,
  columnDefinitionToJSON,
  type EventLogDefinition,
  operatorToJSON,
} from "../gen/trainingcore/v1/definition.js";
import {
  type Dataset,
  PluginInfo,
  Project,
  ProjectEvent,
  type ProjectPlugin,
  pluginStatusToJSON,
  projectStatusToJSON,
} from "../gen/trainingcore/v1/project.js";

const time = (date: Date | undefined) => date?.toISOString() ?? null;

/** The listed fields, then any field of the generated mapping not listed (yet). */
function withLaterFields<T extends object>(generated: unknown, listed: T): T {
  const later = Object.entries(generated as object).filter(([key]) => !(key in listed));
  return { ...listed, ...Object.fromEntries(later) };
}

function datasetJson(dataset: Dataset) {
  return {
    trainingDfName: dataset.trainingDfName,
    holdoutDfName: dataset.holdoutDfName,
    rows: dataset.rows,
    trainingRows: dataset.trainingRows,
    holdoutRows: dataset.holdoutRows,
    cases: dataset.cases,
    columns: dataset.columns,
    caseIdColumn: dataset.caseIdColumn,
    positiveCases: dataset.positiveCases,
    treatedCases: dataset.treatedCases,
  };
}

/** Column name -> `COLUMN_DEFINITION_…`, in the order the core sent them. */
function columnsJson(columns: EventLogDefinition["columns"]): Record<string, string> {
  return Object.fromEntries(
    Object.entries(columns).map(([name, value]) => [name, columnDefinitionToJSON(value)]),
  );
}

function ruleJson(rule: CaseRule | undefined) {
  if (rule === undefined) return null;
  return {
    anyOf: rule.anyOf.map((group) => ({
      conditions: group.conditions.map((condition) => ({
        column: condition.column,
        operator: operatorToJSON(condition.operator),
        value: condition.value,
      })),
    })),
  };
}

/** The JSON of a definition, readable again by `project create --definition`. */
export function definitionJson(definition: EventLogDefinition) {
  return {
    columns: columnsJson(definition.columns),
    caseAttributes: definition.caseAttributes,
    positiveOutcome: ruleJson(definition.positiveOutcome),
    negativeOutcome: ruleJson(definition.negativeOutcome),
    treatment: ruleJson(definition.treatment),
  };
}

export function projectPluginJson(plugin: ProjectPlugin) {
  return {
    pluginId: plugin.pluginId,
    key: plugin.key,
    status: pluginStatusToJSON(plugin.status),
    modelName: plugin.modelName,
    modelSizeBytes: plugin.modelSizeBytes,
    serving: plugin.serving,
    error: plugin.error,
    updatedAt: time(plugin.updatedAt),
  };
}

export function projectJson(project: Project) {
  return withLaterFields(Project.toJSON(project), {
    id: project.id,
    name: project.name,
    description: project.description,
    status: projectStatusToJSON(project.status),
    error: project.error,
    createdAt: time(project.createdAt),
    updatedAt: time(project.updatedAt),
    dataset: project.dataset ? datasetJson(project.dataset) : null,
    plugins: project.plugins.map(projectPluginJson),
    requestId: project.requestId,
    pluginKeys: project.pluginKeys,
    definition: project.definition ? definitionJson(project.definition) : null,
  });
}

/** `dataset inspect --json`: the InspectDatasetResponse. */
export function inspectionJson(inspection: InspectDatasetResponse) {
  return {
    columns: inspection.columns,
    inferred: columnsJson(inspection.inferred),
    sampleRows: inspection.sampleRows.map((row) => ({ values: row.values })),
    format: inspection.format,
  };
}

export function pluginInfoJson(plugin: PluginInfo) {
  return withLaterFields(PluginInfo.toJSON(plugin), {
    key: plugin.key,
    name: plugin.name,
    type: plugin.type,
    description: plugin.description,
    parameters: plugin.parameters ?? {},
    online: plugin.online,
    instances: plugin.instances,
    lastSeen: time(plugin.lastSeen),
  });
}

export function eventJson(event: ProjectEvent) {
  return withLaterFields(ProjectEvent.toJSON(event), {
    eventId: event.eventId,
    projectId: event.projectId,
    pluginId: event.pluginId,
    pluginKey: event.pluginKey,
    projectStatus: projectStatusToJSON(event.projectStatus),
    pluginStatus: pluginStatusToJSON(event.pluginStatus),
    detail: event.detail,
    time: time(event.time),
  });
}

/** Writes one JSON document (pretty, for people reading it too) to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes one JSON Lines record to stdout. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
