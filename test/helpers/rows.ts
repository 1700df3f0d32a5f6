/** Rows for tests that seed the store directly instead of going through CreateProject. */
import type { NewProjectRow } from "../../src/store/sql/projects.js";

/** A projects row as CreateProject stores it: these plugin keys, this raw blob, defaults else. */
export function projectRow(
  keys: readonly string[],
  rawBlobId: string,
  fields: Partial<NewProjectRow> = {},
): NewProjectRow {
  const now = Date.now();
  return {
    name: "p",
    description: "",
    status: "TRAINING",
    error: "",
    request_id: null,
    plugin_keys_json: JSON.stringify(keys),
    parameters_json: "{}",
    additional_info_json: "{}",
    requested_case_id_column: "",
    holdout_fraction: 0.2,
    raw_blob_id: rawBlobId,
    requested_definition_json: null,
    effective_definition_json: null,
    source_project_id: null,
    created_ms: now,
    updated_ms: now,
    ...fields,
  };
}
