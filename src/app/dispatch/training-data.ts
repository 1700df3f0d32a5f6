import { effectiveDefinitionFromJson } from "../../domain/event-log/index.js";
import type { WaitingDeliveryRow } from "../../store/sql/memberships.js";
import type { RequestDeliveryRow } from "../../store/sql/prescription-deliveries.js";
import type { StreamDeliveryRow } from "../../store/sql/stream-deliveries.js";
import type {
  PrescriptionRequestMessage,
  TrainingDataMessage,
} from "../plugins/plugin-sessions.js";

const parsedDefinitions = new Map<string, ReturnType<typeof effectiveDefinitionFromJson>>();

/**
 * A project's effective definition from its stored JSON, parsed once per distinct text (a live
 * request carries it, and a project's requests go out by the thousand). Never mutated.
 */
function definitionOf(json: string | null) {
  if (json === null) return undefined;
  let definition = parsedDefinitions.get(json);
  if (!definition) {
    if (parsedDefinitions.size >= 64) parsedDefinitions.clear();
    definition = effectiveDefinitionFromJson(json);
    parsedDefinitions.set(json, definition);
  }
  return definition;
}

export function trainingDataOf(row: WaitingDeliveryRow): TrainingDataMessage {
  return {
    projectId: row.project_id,
    pluginId: row.id,
    trainingDfName: row.training_blob_id,
    additionalInfo: JSON.parse(row.additional_info_json) as Record<string, unknown>,
    parameters: JSON.parse(row.parameters_json) as Record<string, unknown>,
    definition: definitionOf(row.effective_definition_json),
  };
}

export function prescriptionRequestOf(row: RequestDeliveryRow): PrescriptionRequestMessage {
  return {
    requestId: row.id,
    projectId: row.project_id,
    pluginId: row.membership_id,
    modelName: row.model_name,
    input: { kind: "dataset", datasetName: row.cases_blob_id },
    additionalInfo: JSON.parse(row.additional_info_json) as Record<string, unknown>,
    parameters: JSON.parse(row.parameters_json) as Record<string, unknown>,
    definition: definitionOf(row.effective_definition_json),
  };
}

export function streamRequestOf(row: StreamDeliveryRow): PrescriptionRequestMessage {
  return {
    requestId: row.id,
    projectId: row.project_id,
    pluginId: row.membership_id,
    modelName: row.model_name,
    input: {
      kind: "case",
      caseId: row.case_id,
      events: row.prefix.map((json) => JSON.parse(json) as Record<string, string>),
    },
    additionalInfo: JSON.parse(row.additional_info_json) as Record<string, unknown>,
    parameters: JSON.parse(row.parameters_json) as Record<string, unknown>,
    definition: definitionOf(row.effective_definition_json),
  };
}
