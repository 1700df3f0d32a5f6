/**
 * What the column of a condition refers to. A name is looked up, in this order, as:
 * 1. a header name, exactly (case-sensitive);
 * 2. `DURATION`: the case's duration in seconds, whether or not the log has a DURATION column;
 * 3. the fixed name of a role column (`ACTIVITY`, `RESOURCE`, `TIMESTAMP`, …, as in the
 *    training set), which is the one column holding that role.
 */
import {
  type ColumnDefinition,
  isRoleDefinition,
  type ValueType,
  valueTypeOf,
} from "./column-definition.js";

export type ColumnReference =
  | {
      readonly kind: "column";
      readonly name: string;
      readonly index: number;
      readonly definition: ColumnDefinition;
      readonly type: ValueType;
    }
  | { readonly kind: "case-duration"; readonly type: "duration" };

export const CASE_DURATION = "DURATION";

/** The column `name` refers to in a log with these columns (header order), or undefined. */
export function resolveColumn(
  name: string,
  columns: ReadonlyMap<string, ColumnDefinition>,
): ColumnReference | undefined {
  const direct = columns.get(name);
  if (direct !== undefined) return columnAt(columns, name, direct);
  if (name === CASE_DURATION) return { kind: "case-duration", type: "duration" };
  if (!isRoleDefinition(name)) return undefined;
  for (const [header, definition] of columns) {
    if (definition === name) return columnAt(columns, header, definition);
  }
  return undefined;
}

function columnAt(
  columns: ReadonlyMap<string, ColumnDefinition>,
  name: string,
  definition: ColumnDefinition,
): ColumnReference {
  const index = [...columns.keys()].indexOf(name);
  return { kind: "column", name, index, definition, type: valueTypeOf(definition) };
}
