import type { AssignmentRow } from "../store/rows.js";
import type { TrainingDataMessage } from "./plugin-sessions.js";

export function trainingDataOf(row: AssignmentRow, trainingBlobId: string): TrainingDataMessage {
  return {
    projectId: row.project_id,
    pluginId: row.id,
    trainingDfName: trainingBlobId,
    additionalInfo: JSON.parse(row.additional_info_json) as Record<string, unknown>,
    parameters: JSON.parse(row.parameters_json) as Record<string, unknown>,
  };
}
