/**
 * `dataset inspect` for people: the format, then one line per column with what the core infers
 * from its name and the sample rows' values beside it (a log has more columns than a terminal
 * has room for side by side), then what is left to define.
 */

import type { InspectDatasetResponse } from "../gen/trainingcore/v1/dataset_service.js";
import { ColumnDefinition } from "../gen/trainingcore/v1/definition.js";
import { columnDefinitionName } from "./definition-names.js";
import { table } from "./format.js";

/** Sample values longer than this are cut, so that a line still fits a wide terminal. */
const maxCell = 40;

function cell(value: string): string {
  const oneLine = value.replace(/\s+/g, " ");
  return oneLine.length > maxCell ? `${oneLine.slice(0, maxCell - 1)}…` : oneLine;
}

export function inspectionDetails(inspection: InspectDatasetResponse): string {
  const { columns, inferred, sampleRows } = inspection;
  const head = ["COLUMN", "INFERRED", ...sampleRows.map((_, i) => `ROW ${i + 1}`)];
  const rows = columns.map((name, index) => {
    const definition = inferred[name];
    return [
      name,
      definition === undefined ? "(TEXT)" : columnDefinitionName(definition),
      ...sampleRows.map((row) => cell(row.values[index] ?? "")),
    ];
  });
  const notes = [
    ...missingRoles(Object.values(inferred)),
    ...(columns.some((name) => inferred[name] === undefined)
      ? ["(TEXT): nothing inferred from the name; the column is a text attribute unless defined"]
      : []),
    "define or redefine columns with: training-core project create … --column NAME=DEFINITION",
  ];
  return [
    `format: ${inspection.format}`,
    `${columns.length} columns, first ${sampleRows.length} rows`,
    "",
    table(head, rows),
    "",
    ...notes,
  ].join("\n");
}

/** What an event log needs that inference did not find, and how to define it. */
function missingRoles(found: readonly ColumnDefinition[]): string[] {
  const has = (definition: ColumnDefinition) => found.includes(definition);
  const missing: string[] = [];
  if (!has(ColumnDefinition.COLUMN_DEFINITION_CASE_ID)) {
    missing.push("no CASE_ID inferred: define the case column with --column NAME=case_id");
  }
  if (!has(ColumnDefinition.COLUMN_DEFINITION_ACTIVITY)) {
    missing.push("no ACTIVITY inferred: define the activity column with --column NAME=activity");
  }
  const timed =
    has(ColumnDefinition.COLUMN_DEFINITION_TIMESTAMP) ||
    (has(ColumnDefinition.COLUMN_DEFINITION_START_TIMESTAMP) &&
      has(ColumnDefinition.COLUMN_DEFINITION_END_TIMESTAMP));
  if (!timed) {
    missing.push(
      "no TIMESTAMP inferred: define one with --column NAME=timestamp (or both start_timestamp and end_timestamp)",
    );
  }
  return missing;
}
