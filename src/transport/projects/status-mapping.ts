import type {
  PluginStatus as DomainPluginStatus,
  ProjectStatus as DomainProjectStatus,
} from "../../domain/statuses.js";
import { PluginStatus, ProjectStatus } from "../../gen/trainingcore/v1/project.js";

const projectStatusToProto: Record<DomainProjectStatus, ProjectStatus> = {
  PREPROCESSING: ProjectStatus.PROJECT_STATUS_PREPROCESSING,
  TRAINING: ProjectStatus.PROJECT_STATUS_TRAINING,
  TRAINED: ProjectStatus.PROJECT_STATUS_TRAINED,
  ERROR: ProjectStatus.PROJECT_STATUS_ERROR,
};

const pluginStatusToProto: Record<DomainPluginStatus, PluginStatus> = {
  WAITING: PluginStatus.PLUGIN_STATUS_WAITING,
  PREPROCESSING: PluginStatus.PLUGIN_STATUS_PREPROCESSING,
  TRAINING: PluginStatus.PLUGIN_STATUS_TRAINING,
  TRAINED: PluginStatus.PLUGIN_STATUS_TRAINED,
  NOT_APPLICABLE: PluginStatus.PLUGIN_STATUS_NOT_APPLICABLE,
  ERROR: PluginStatus.PLUGIN_STATUS_ERROR,
};

export function toProtoProjectStatus(status: string): ProjectStatus {
  return (
    projectStatusToProto[status as DomainProjectStatus] ?? ProjectStatus.PROJECT_STATUS_UNSPECIFIED
  );
}

export function toProtoPluginStatus(status: string | null): PluginStatus {
  if (status === null) return PluginStatus.PLUGIN_STATUS_UNSPECIFIED;
  return (
    pluginStatusToProto[status as DomainPluginStatus] ?? PluginStatus.PLUGIN_STATUS_UNSPECIFIED
  );
}
