import { effectiveDefinitionFromJson } from "../../domain/event-log/index.js";
import type { WaitingDeliveryRow } from "../../store/sql/memberships.js";
import type { TrainingDataMessage } from "../plugins/plugin-sessions.js";

export function trainingDataOf(row: WaitingDeliveryRow): TrainingDataMessage {
  return {
    projectId: row.project_id,
    pluginId: row.id,
    trainingDfName: row.training_blob_id,
    additionalInfo: JSON.parse(row.additional_info_json) as Record<string, unknown>,
    parameters: JSON.parse(row.parameters_json) as Record<string, unknown>,
    definition:
      row.effective_definition_json === null
        ? undefined
        : effectiveDefinitionFromJson(row.effective_definition_json),
  };
}
