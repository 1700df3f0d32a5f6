/**
 * What a column of an event log means (its ColumnDefinition), the type of its values, and which
 * condition operators apply to that type. The names are the protocol's enum names without their
 * `COLUMN_DEFINITION_` / `OPERATOR_` prefix; the transport maps between the two.
 */

export const columnDefinitions = [
  "CASE_ID",
  "ACTIVITY",
  "TIMESTAMP",
  "START_TIMESTAMP",
  "END_TIMESTAMP",
  "RESOURCE",
  "DURATION",
  "COST",
  "OUTCOME",
  "TREATMENT",
  "TRANSITION",
  "COMPLETE_INDICATOR",
  "TEXT",
  "NUMBER",
  "BOOLEAN",
  "DATETIME",
  "CATEGORICAL",
  "IGNORED",
] as const;
export type ColumnDefinition = (typeof columnDefinitions)[number];

/** What a request may carry: UNSPECIFIED (or an enum value the transport does not know). */
export type RequestedColumnDefinition = ColumnDefinition | "UNSPECIFIED";

/**
 * Definitions that give a column a role: at most one column holds each, and it appears in the
 * training set under the definition's own name.
 */
export const roleDefinitions = [
  "CASE_ID",
  "ACTIVITY",
  "TIMESTAMP",
  "START_TIMESTAMP",
  "END_TIMESTAMP",
  "RESOURCE",
  "DURATION",
  "COST",
  "OUTCOME",
  "TREATMENT",
  "TRANSITION",
  "COMPLETE_INDICATOR",
] as const satisfies readonly ColumnDefinition[];
export type RoleDefinition = (typeof roleDefinitions)[number];

/** Definitions of plain attributes: any number of columns may hold each. */
export type AttributeDefinition = Exclude<ColumnDefinition, RoleDefinition>;

export const operators = [
  "EQUAL",
  "NOT_EQUAL",
  "CONTAINS",
  "NOT_CONTAINS",
  "LESS_THAN",
  "LESS_THAN_OR_EQUAL",
  "GREATER_THAN",
  "GREATER_THAN_OR_EQUAL",
  "IS_TRUE",
  "IS_FALSE",
  "EARLIER_THAN",
  "EARLIER_THAN_OR_EQUAL",
  "LATER_THAN",
  "LATER_THAN_OR_EQUAL",
] as const;
export type Operator = (typeof operators)[number];
export type RequestedOperator = Operator | "UNSPECIFIED";

/**
 * How the cells of a column are read. `duration` is seconds (a bare number) or a number with a
 * unit; DATETIME attributes are read like timestamps; IGNORED columns are read as text, so a rule
 * may use a column that plugins must not see (typically the one the outcome is derived from).
 */
export type ValueType = "text" | "categorical" | "number" | "duration" | "boolean" | "timestamp";

const valueTypes: Readonly<Record<ColumnDefinition, ValueType>> = {
  CASE_ID: "text",
  ACTIVITY: "text",
  TIMESTAMP: "timestamp",
  START_TIMESTAMP: "timestamp",
  END_TIMESTAMP: "timestamp",
  RESOURCE: "text",
  DURATION: "duration",
  COST: "number",
  OUTCOME: "boolean",
  TREATMENT: "boolean",
  TRANSITION: "text",
  COMPLETE_INDICATOR: "boolean",
  TEXT: "text",
  NUMBER: "number",
  BOOLEAN: "boolean",
  DATETIME: "timestamp",
  CATEGORICAL: "categorical",
  IGNORED: "text",
};

export function valueTypeOf(definition: ColumnDefinition): ValueType {
  return valueTypes[definition];
}

const comparisons = [
  "EQUAL",
  "NOT_EQUAL",
  "LESS_THAN",
  "LESS_THAN_OR_EQUAL",
  "GREATER_THAN",
  "GREATER_THAN_OR_EQUAL",
] as const satisfies readonly Operator[];

const operatorsByType: Readonly<Record<ValueType, readonly Operator[]>> = {
  text: ["EQUAL", "NOT_EQUAL", "CONTAINS", "NOT_CONTAINS"],
  categorical: ["EQUAL", "NOT_EQUAL"],
  number: comparisons,
  duration: comparisons,
  boolean: ["IS_TRUE", "IS_FALSE"],
  timestamp: [
    "EQUAL",
    "NOT_EQUAL",
    "EARLIER_THAN",
    "EARLIER_THAN_OR_EQUAL",
    "LATER_THAN",
    "LATER_THAN_OR_EQUAL",
  ],
};

/** The operators a condition on a value of this type may use. */
export function operatorsFor(type: ValueType): readonly Operator[] {
  return operatorsByType[type];
}

/** IS_TRUE and IS_FALSE test the value itself; every other operator compares with a value. */
export function takesValue(operator: Operator): boolean {
  return operator !== "IS_TRUE" && operator !== "IS_FALSE";
}

export function isColumnDefinition(value: string): value is ColumnDefinition {
  return (columnDefinitions as readonly string[]).includes(value);
}

export function isRoleDefinition(value: string): value is RoleDefinition {
  return (roleDefinitions as readonly string[]).includes(value);
}

export function isOperator(value: string): value is Operator {
  return (operators as readonly string[]).includes(value);
}
