/**
 * The request field `case_id_column` predates definitions: it means `columns[c] = CASE_ID`.
 * Giving both is fine when they agree; when they disagree the request is refused.
 */
import type { RequestedColumnDefinition } from "./column-definition.js";
import { columnsDefinedAs } from "./definition.js";

/** The requested columns with `caseIdColumn` ('' for none) folded in; explicit columns win. */
export function withLegacyCaseColumn(
  columns: ReadonlyMap<string, RequestedColumnDefinition>,
  caseIdColumn: string,
): ReadonlyMap<string, RequestedColumnDefinition> {
  const legacy = caseIdColumn.trim();
  if (legacy === "" || columns.has(legacy)) return columns;
  if (columnsDefinedAs(columns, "CASE_ID").length > 0) return columns;
  return new Map([...columns, [legacy, "CASE_ID"]]);
}

/** Why `caseIdColumn` and the requested columns disagree, or undefined when they agree. */
export function legacyCaseColumnConflict(
  columns: ReadonlyMap<string, RequestedColumnDefinition>,
  caseIdColumn: string,
): string | undefined {
  const legacy = caseIdColumn.trim();
  if (legacy === "") return undefined;
  const given = columns.get(legacy);
  if (given !== undefined && given !== "CASE_ID") {
    return (
      `case_id_column names ${JSON.stringify(legacy)} but the definition defines it as ${given}: ` +
      "drop case_id_column or define that column as CASE_ID"
    );
  }
  const others = columnsDefinedAs(columns, "CASE_ID").filter((name) => name !== legacy);
  if (others.length > 0) {
    return (
      `case_id_column names ${JSON.stringify(legacy)} but the definition defines ` +
      `${JSON.stringify(others[0])} as CASE_ID: give only one of them`
    );
  }
  return undefined;
}
