/**
 * The columns of the training and holdout sets, and how each cell is written.
 *
 * Order: CASE_ID, ACTIVITY, then each of TIMESTAMP, START_TIMESTAMP, END_TIMESTAMP, RESOURCE,
 * TRANSITION, DURATION, COST, OUTCOME, TREATMENT, TREATMENT_RESOURCE and COMPLETE_INDICATOR
 * that the log has; then `CATEGORICAL_<col>`, then `CASE_ATTRIBUTE_<TYPE>_<col>`, then
 * `EVENT_ATTRIBUTE_<TYPE>_<col>` (TYPE is TEXT, NUMBER, BOOLEAN or DATETIME), each group in
 * header order. IGNORED columns are dropped. OUTCOME and TREATMENT come from the case's labels
 * (a rule, or the first value of a column of the file), so they are the same on every row.
 *
 * Cells: text as written; timestamps and DATETIME as UTC ISO 8601 with milliseconds; numbers as
 * written (trimmed), once they read as numbers; durations as seconds; booleans as `true` or
 * `false`; labels as `0` or `1`. A missing value is an empty cell. A cell that does not read
 * for its column's type throws CellValueError.
 */
import { type ColumnDefinition, type ValueType, valueTypeOf } from "./column-definition.js";
import {
  columnsDefinedAs,
  type EffectiveDefinition,
  givenRule,
  outcomeRule,
} from "./definition.js";
import type { CaseLabels } from "./labels.js";
import {
  cannotRead,
  formatTimestamp,
  isMissing,
  readBoolean,
  readDuration,
  readNumber,
  readTimestamp,
} from "./values.js";

export interface TrainingColumn {
  readonly name: string;
  /** The header column the cells come from; undefined for columns made from labels. */
  readonly source: string | undefined;
  readonly cell: (row: readonly string[], labels: CaseLabels) => string;
}

/** A cell that does not read for its column's type; the caller adds where (the line). */
export class CellValueError extends Error {
  override readonly name = "CellValueError";
  constructor(
    readonly column: string,
    readonly value: string,
    readonly type: ValueType,
  ) {
    super(`column ${column}: ${cannotRead(value, type)}`);
  }
}

const fixedRoles = [
  "CASE_ID",
  "ACTIVITY",
  "TIMESTAMP",
  "START_TIMESTAMP",
  "END_TIMESTAMP",
  "RESOURCE",
  "TRANSITION",
  "DURATION",
  "COST",
] as const satisfies readonly ColumnDefinition[];

const attributeTypes: Partial<Record<ColumnDefinition, string>> = {
  TEXT: "TEXT",
  NUMBER: "NUMBER",
  BOOLEAN: "BOOLEAN",
  DATETIME: "DATETIME",
};

/** The training-set columns of a log with this header and validated definition, in order. */
export function trainingColumns(
  header: readonly string[],
  definition: EffectiveDefinition,
): TrainingColumn[] {
  const fromColumn = (name: string, outputName: string): TrainingColumn => {
    const columnDefinition = definition.columns.get(name) ?? "TEXT";
    const write = cellWriter(name, valueTypeOf(columnDefinition));
    const index = header.indexOf(name);
    return { name: outputName, source: name, cell: (row) => write(row[index] ?? "") };
  };
  const fromLabels = (name: string, cell: TrainingColumn["cell"]): TrainingColumn => ({
    name,
    source: undefined,
    cell,
  });
  const holderOf = (role: ColumnDefinition) => columnsDefinedAs(definition.columns, role)[0];

  const columns: TrainingColumn[] = [];
  for (const role of fixedRoles) {
    const name = holderOf(role);
    if (name !== undefined) columns.push(fromColumn(name, role));
  }
  if (outcomeRule(definition) || holderOf("OUTCOME") !== undefined) {
    columns.push(fromLabels("OUTCOME", (_row, labels) => flag(labels.outcome)));
  }
  const treatmentRule = givenRule(definition.treatment);
  if (treatmentRule || holderOf("TREATMENT") !== undefined) {
    columns.push(fromLabels("TREATMENT", (_row, labels) => flag(labels.treatment)));
  }
  if (treatmentRule && holderOf("RESOURCE") !== undefined) {
    columns.push(
      fromLabels("TREATMENT_RESOURCE", (_row, labels) => labels.treatmentResource ?? ""),
    );
  }
  const completeIndicator = holderOf("COMPLETE_INDICATOR");
  if (completeIndicator !== undefined) {
    columns.push(fromColumn(completeIndicator, "COMPLETE_INDICATOR"));
  }

  const caseAttributes = new Set(definition.caseAttributes);
  const categorical: TrainingColumn[] = [];
  const ofCases: TrainingColumn[] = [];
  const ofEvents: TrainingColumn[] = [];
  for (const name of header) {
    const columnDefinition = definition.columns.get(name) ?? "TEXT";
    const type = attributeTypes[columnDefinition];
    if (columnDefinition === "CATEGORICAL") {
      categorical.push(fromColumn(name, `CATEGORICAL_${name}`));
    } else if (type !== undefined && caseAttributes.has(name)) {
      ofCases.push(fromColumn(name, `CASE_ATTRIBUTE_${type}_${name}`));
    } else if (type !== undefined) {
      ofEvents.push(fromColumn(name, `EVENT_ATTRIBUTE_${type}_${name}`));
    }
  }
  return [...columns, ...categorical, ...ofCases, ...ofEvents];
}

function flag(value: 0 | 1 | undefined): string {
  return value === undefined ? "" : String(value);
}

/** Writes a cell of column `name` the way the training set holds values of `type`. */
function cellWriter(name: string, type: ValueType): (cell: string) => string {
  const typed = (read: (cell: string) => string | undefined) => (cell: string) => {
    if (isMissing(cell)) return "";
    const written = read(cell);
    if (written === undefined) throw new CellValueError(name, cell, type);
    return written;
  };
  switch (type) {
    case "timestamp":
      return typed((cell) => {
        const instant = readTimestamp(cell);
        return instant === undefined ? undefined : formatTimestamp(instant);
      });
    case "number":
      return typed((cell) => (readNumber(cell) === undefined ? undefined : cell.trim()));
    case "duration":
      return typed((cell) => {
        const seconds = readDuration(cell);
        return seconds === undefined ? undefined : String(seconds);
      });
    case "boolean":
      return typed((cell) => {
        const value = readBoolean(cell);
        return value === undefined ? undefined : String(value);
      });
    default:
      return (cell) => cell;
  }
}
