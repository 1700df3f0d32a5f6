/**
 * The short names of the protocol's enums as people type and read them: `CASE_ID` for
 * COLUMN_DEFINITION_CASE_ID, `GREATER_THAN` for OPERATOR_GREATER_THAN. UNSPECIFIED is not a name
 * a person may give.
 */
import { ColumnDefinition, Operator } from "../gen/trainingcore/v1/definition.js";

const columnPrefix = "COLUMN_DEFINITION_";
const operatorPrefix = "OPERATOR_";

function valuesOf(
  enumObject: Record<string, string | number>,
  prefix: string,
): ReadonlyMap<string, number> {
  const entries = Object.entries(enumObject).filter(
    (entry): entry is [string, number] =>
      entry[0].startsWith(prefix) && typeof entry[1] === "number" && entry[1] > 0,
  );
  return new Map(entries.map(([name, value]) => [name.slice(prefix.length), value]));
}

const columnDefinitionValues = valuesOf(ColumnDefinition, columnPrefix);
const operatorValues = valuesOf(Operator, operatorPrefix);

/** Every column definition's short name, in the protocol's order. */
export const columnDefinitionNames: readonly string[] = [...columnDefinitionValues.keys()];

/** Every operator's short name, in the protocol's order. */
export const operatorNames: readonly string[] = [...operatorValues.keys()];

/** The definition a short name means, in any case (`case_id`, `Activity`); undefined if none. */
export function columnDefinitionNamed(name: string): ColumnDefinition | undefined {
  return columnDefinitionValues.get(name.trim().toUpperCase());
}

/** `CASE_ID` for COLUMN_DEFINITION_CASE_ID; the number for a value this CLI does not know. */
export function columnDefinitionName(value: ColumnDefinition): string {
  const name = ColumnDefinition[value] as string | undefined;
  return name?.startsWith(columnPrefix) ? name.slice(columnPrefix.length) : `#${value}`;
}

/** `GREATER_THAN` for OPERATOR_GREATER_THAN; the number for a value this CLI does not know. */
export function operatorName(value: Operator): string {
  const name = Operator[value] as string | undefined;
  return name?.startsWith(operatorPrefix) ? name.slice(operatorPrefix.length) : `#${value}`;
}

/** The protocol's JSON names: `COLUMN_DEFINITION_CASE_ID`, … (UNSPECIFIED left out). */
export const columnDefinitionJsonNames: readonly string[] = columnDefinitionNames.map(
  (name) => `${columnPrefix}${name}`,
);

/** The protocol's JSON names: `OPERATOR_EQUAL`, … (UNSPECIFIED left out). */
export const operatorJsonNames: readonly string[] = operatorNames.map(
  (name) => `${operatorPrefix}${name}`,
);
