import type {
  PluginView,
  ProjectPluginView,
  ProjectView,
} from "../../app/projects/project-views.js";
import type {
  PluginInfo,
  Project,
  ProjectEvent,
  ProjectPlugin,
} from "../../gen/trainingcore/v1/project.js";
import type { EventRow } from "../../store/rows.js";
import { toProtoDefinition } from "../event-log-definitions.js";
import { toProtoPluginStatus, toProtoProjectStatus } from "./status-mapping.js";

export function toProtoProject(view: ProjectView): Project {
  return {
    id: view.id,
    name: view.name,
    description: view.description,
    status: toProtoProjectStatus(view.status),
    error: view.error,
    createdAt: new Date(view.createdMs),
    updatedAt: new Date(view.updatedMs),
    dataset: view.dataset
      ? {
          trainingDfName: view.dataset.trainingDfName,
          rows: view.dataset.rows,
          trainingRows: view.dataset.trainingRows,
          holdoutRows: view.dataset.holdoutRows,
          cases: view.dataset.cases,
          columns: view.dataset.columns,
          caseIdColumn: view.dataset.caseIdColumn,
          holdoutDfName: view.dataset.holdoutDfName,
          positiveCases: view.dataset.positiveCases,
          treatedCases: view.dataset.treatedCases,
        }
      : undefined,
    plugins: view.plugins.map(toProtoProjectPlugin),
    requestId: view.requestId,
    pluginKeys: view.pluginKeys,
    preprocessing: view.preprocessing,
    definition: view.definition && toProtoDefinition(view.definition),
    sourceProjectId: view.sourceProjectId,
  };
}

export function toProtoProjectPlugin(p: ProjectPluginView): ProjectPlugin {
  return {
    pluginId: p.pluginId,
    key: p.key,
    status: toProtoPluginStatus(p.status),
    modelName: p.modelName,
    error: p.error,
    modelSizeBytes: p.modelSizeBytes,
    serving: p.serving,
    updatedAt: new Date(p.updatedMs),
  };
}

export function toProtoEvent(row: EventRow): ProjectEvent {
  return {
    eventId: row.id,
    projectId: row.project_id,
    pluginId: row.membership_id ?? 0,
    pluginKey: row.plugin_key,
    projectStatus: toProtoProjectStatus(row.project_status),
    pluginStatus: toProtoPluginStatus(row.plugin_status),
    detail: row.detail,
    time: new Date(row.created_ms),
  };
}

export function toProtoPluginInfo(view: PluginView): PluginInfo {
  return {
    key: view.key,
    name: view.name,
    type: view.type,
    description: view.description,
    parameters: view.parameters,
    online: view.online,
    instances: view.instances,
    lastSeen: new Date(view.lastSeenMs),
    prescribes: view.prescribes,
  };
}
