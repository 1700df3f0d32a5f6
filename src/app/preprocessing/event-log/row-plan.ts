/**
 * How a row of an event log becomes a row of the training set, worked out once per log from
 * `trainingColumns`: which header cells are typed (each is checked and written in its canonical
 * form once, as the row arrives), and where each output cell comes from (a canonical header
 * cell, or the case's labels).
 *
 * A canonical cell is what the training set holds (`2011-10-01T00:38:44.546Z`, a trimmed
 * number, seconds, `true`); it reads as the same value as the cell it replaces, so the rules
 * that label a case give the same result on canonical cells as on the file's.
 */
import {
  type CaseLabels,
  CellValueError,
  type EffectiveDefinition,
  isMissing,
  readBoolean,
  readDuration,
  readNumber,
  readTimestamp,
  type TrainingColumn,
  trainingColumns,
  type ValueType,
  valueTypeOf,
} from "../../../domain/event-log/index.js";

/** A header column whose cells have a type other than text. */
export interface TypedCell {
  readonly index: number;
  /** The cell `row[index]` in canonical form; throws CellValueError when it does not read. */
  readonly canonical: (row: readonly string[]) => string;
}

/** An output cell: the canonical header cell `index`, or (index -1) made from the labels. */
export interface OutputCell {
  readonly index: number;
  readonly label: ((labels: CaseLabels) => string) | undefined;
  /** False when no value can need CSV quoting (canonical typed cells). */
  readonly mayNeedQuotes: boolean;
}

export interface RowPlan {
  /** The training set's header. */
  readonly names: readonly string[];
  readonly outputs: readonly OutputCell[];
  /** The typed columns but the time column. */
  readonly typed: readonly TypedCell[];
  /**
   * The column events are ordered by: TIMESTAMP, else START_TIMESTAMP (interval logs), else
   * END_TIMESTAMP. Its cells are read once for both their instant and their canonical form.
   */
  readonly time: { readonly index: number; readonly name: string } | undefined;
}

const timeRoles = ["TIMESTAMP", "START_TIMESTAMP", "END_TIMESTAMP"] as const;

const noLabels: CaseLabels = {};

export function rowPlan(definition: EffectiveDefinition): RowPlan {
  const header = [...definition.columns.keys()];
  const columns = trainingColumns(header, definition);
  const bySource = new Map<string, TrainingColumn>();
  for (const column of columns) {
    if (column.source !== undefined) bySource.set(column.source, column);
  }
  const definitions = [...definition.columns.values()];
  const timeRole = timeRoles.find((role) => definitions.includes(role));
  const timeIndex = timeRole === undefined ? -1 : definitions.indexOf(timeRole);
  const typed: TypedCell[] = [];
  const typedIndexes = new Set<number>();
  header.forEach((name, index) => {
    const type = valueTypeOf(definition.columns.get(name) ?? "TEXT");
    const read = readerFor(type);
    if (read === undefined) return;
    typedIndexes.add(index);
    if (index === timeIndex) return;
    const output = bySource.get(name);
    typed.push({
      index,
      canonical: output
        ? (row) => output.cell(row, noLabels)
        : (row) => checked(name, type, read, row[index] ?? ""),
    });
  });
  const outputs = columns.map((column): OutputCell => {
    if (column.source !== undefined) {
      const index = header.indexOf(column.source);
      return { index, label: undefined, mayNeedQuotes: !typedIndexes.has(index) };
    }
    return { index: -1, label: (labels) => column.cell([], labels), mayNeedQuotes: true };
  });
  return {
    names: columns.map((column) => column.name),
    outputs,
    typed,
    time: timeIndex < 0 ? undefined : { index: timeIndex, name: header[timeIndex] as string },
  };
}

/** A cell of a typed column that is not in the training set: checked, kept as written. */
function checked(name: string, type: ValueType, read: (cell: string) => unknown, cell: string) {
  if (!isMissing(cell) && read(cell) === undefined) throw new CellValueError(name, cell, type);
  return cell;
}

function readerFor(type: ValueType): ((cell: string) => unknown) | undefined {
  switch (type) {
    case "timestamp":
      return readTimestamp;
    case "number":
      return readNumber;
    case "duration":
      return readDuration;
    case "boolean":
      return readBoolean;
    default:
      return undefined;
  }
}
