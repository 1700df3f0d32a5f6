/**
 * The event-log definition as plugins see it: the protocol's enums as plain strings (`"OUTCOME"`
 * for `COLUMN_DEFINITION_OUTCOME`), and the mapping both ways. A number this SDK does not know
 * (a core on a newer protocol) reads as `"UNSPECIFIED"`.
 */
import {
  type CaseRule as ProtoCaseRule,
  ColumnDefinition as ProtoColumnDefinition,
  type EventLogDefinition as ProtoEventLogDefinition,
  Operator as ProtoOperator,
} from "../gen/trainingcore/v1/definition.js";

/** What a column of an event log means; see `definition.proto` for each one. */
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

/** One event's value in `column` compared with `value` (empty for IS_TRUE and IS_FALSE). */
export interface Condition {
  /** A header name of the original file, a fixed name (`ACTIVITY`, ...), or `DURATION`. */
  readonly column: string;
  readonly operator: Operator | "UNSPECIFIED";
  readonly value: string;
}

/** Holds when every condition holds for one and the same event. */
export interface ConditionGroup {
  readonly conditions: readonly Condition[];
}

/** A case matches when some event of it satisfies every condition of at least one group. */
export interface CaseRule {
  readonly anyOf: readonly ConditionGroup[];
}

/**
 * The effective definition of a project's event log: what the consumer gave, completed with what
 * the core inferred. The training set itself has the fixed column names (`CASE_ID`, `ACTIVITY`,
 * `TIMESTAMP`, ..., `OUTCOME`, ...), not the header names used here.
 */
export interface EventLogDefinition {
  /** Every header name of the original file → what the column means. */
  readonly columns: Readonly<Record<string, ColumnDefinition | "UNSPECIFIED">>;
  /** Columns constant within a case (`CASE_ATTRIBUTE_<TYPE>_<column>` in the training set). */
  readonly caseAttributes: readonly string[];
  /** A matching case has OUTCOME 1, any other 0. */
  readonly positiveOutcome?: CaseRule;
  /** A matching case has OUTCOME 0, any other 1. */
  readonly negativeOutcome?: CaseRule;
  /** A matching case has TREATMENT 1, any other 0. */
  readonly treatment?: CaseRule;
}

const knownColumnDefinitions: ReadonlySet<string> = new Set(columnDefinitions);
const knownOperators: ReadonlySet<string> = new Set(operators);

export function isColumnDefinition(value: unknown): value is ColumnDefinition {
  return typeof value === "string" && knownColumnDefinitions.has(value);
}

export function toProtoColumnDefinition(definition: ColumnDefinition): ProtoColumnDefinition {
  return ProtoColumnDefinition[`COLUMN_DEFINITION_${definition}`];
}

/** The name of each protocol value, computed once (a request carries its definition). */
const columnDefinitionNames: ReadonlyMap<number, ColumnDefinition> = new Map(
  columnDefinitions.map((name) => [toProtoColumnDefinition(name), name]),
);

export function fromProtoColumnDefinition(
  value: ProtoColumnDefinition,
): ColumnDefinition | "UNSPECIFIED" {
  return columnDefinitionNames.get(value) ?? "UNSPECIFIED";
}

function fromProtoOperator(value: ProtoOperator): Operator | "UNSPECIFIED" {
  const name = withoutPrefix(ProtoOperator[value], "OPERATOR_");
  return knownOperators.has(name) ? (name as Operator) : "UNSPECIFIED";
}

/** The reverse mapping of a ts-proto enum gives `undefined` for numbers it does not know. */
function withoutPrefix(name: string | undefined, prefix: string): string {
  return name?.startsWith(prefix) ? name.slice(prefix.length) : "";
}

/** `TrainingData.definition` for the plugin; undefined for a project created without one. */
export function definitionFromProto(
  proto: ProtoEventLogDefinition | undefined,
): EventLogDefinition | undefined {
  if (proto === undefined) return undefined;
  const columns: Record<string, ColumnDefinition | "UNSPECIFIED"> = {};
  for (const [name, value] of Object.entries(proto.columns)) {
    columns[name] = fromProtoColumnDefinition(value);
  }
  return {
    columns,
    caseAttributes: [...proto.caseAttributes],
    ...rule("positiveOutcome", proto.positiveOutcome),
    ...rule("negativeOutcome", proto.negativeOutcome),
    ...rule("treatment", proto.treatment),
  };
}

/** `{[key]: rule}`, or nothing for an unset rule or one without groups (the same as no rule). */
function rule<K extends "positiveOutcome" | "negativeOutcome" | "treatment">(
  key: K,
  proto: ProtoCaseRule | undefined,
): Partial<Record<K, CaseRule>> {
  if (proto === undefined || proto.anyOf.length === 0) return {};
  const value: CaseRule = {
    anyOf: proto.anyOf.map((group) => ({
      conditions: group.conditions.map((condition) => ({
        column: condition.column,
        operator: fromProtoOperator(condition.operator),
        value: condition.value,
      })),
    })),
  };
  return { [key]: value } as Partial<Record<K, CaseRule>>;
}
