/**
 * Event-log definitions between the protocol and the domain: enum `COLUMN_DEFINITION_X` ⇄
 * `"X"`, `OPERATOR_X` ⇄ `"X"`. UNSPECIFIED, and a number this core does not know (a client on
 * a newer protocol), read as `"UNSPECIFIED"`, which validation refuses with a message naming
 * the column or the condition.
 */
import type {
  ColumnDefinition,
  EffectiveDefinition,
  EventLogDefinition,
  Operator,
  RequestedColumnDefinition,
  RequestedOperator,
} from "../domain/event-log/index.js";
import {
  type CaseRule as ProtoCaseRule,
  ColumnDefinition as ProtoColumnDefinition,
  type EventLogDefinition as ProtoEventLogDefinition,
  Operator as ProtoOperator,
} from "../gen/trainingcore/v1/definition.js";

const columnDefinitionNumbers = {
  CASE_ID: ProtoColumnDefinition.COLUMN_DEFINITION_CASE_ID,
  ACTIVITY: ProtoColumnDefinition.COLUMN_DEFINITION_ACTIVITY,
  TIMESTAMP: ProtoColumnDefinition.COLUMN_DEFINITION_TIMESTAMP,
  START_TIMESTAMP: ProtoColumnDefinition.COLUMN_DEFINITION_START_TIMESTAMP,
  END_TIMESTAMP: ProtoColumnDefinition.COLUMN_DEFINITION_END_TIMESTAMP,
  RESOURCE: ProtoColumnDefinition.COLUMN_DEFINITION_RESOURCE,
  DURATION: ProtoColumnDefinition.COLUMN_DEFINITION_DURATION,
  COST: ProtoColumnDefinition.COLUMN_DEFINITION_COST,
  OUTCOME: ProtoColumnDefinition.COLUMN_DEFINITION_OUTCOME,
  TREATMENT: ProtoColumnDefinition.COLUMN_DEFINITION_TREATMENT,
  TRANSITION: ProtoColumnDefinition.COLUMN_DEFINITION_TRANSITION,
  COMPLETE_INDICATOR: ProtoColumnDefinition.COLUMN_DEFINITION_COMPLETE_INDICATOR,
  TEXT: ProtoColumnDefinition.COLUMN_DEFINITION_TEXT,
  NUMBER: ProtoColumnDefinition.COLUMN_DEFINITION_NUMBER,
  BOOLEAN: ProtoColumnDefinition.COLUMN_DEFINITION_BOOLEAN,
  DATETIME: ProtoColumnDefinition.COLUMN_DEFINITION_DATETIME,
  CATEGORICAL: ProtoColumnDefinition.COLUMN_DEFINITION_CATEGORICAL,
  IGNORED: ProtoColumnDefinition.COLUMN_DEFINITION_IGNORED,
} as const satisfies Record<ColumnDefinition, ProtoColumnDefinition>;

const operatorNumbers = {
  EQUAL: ProtoOperator.OPERATOR_EQUAL,
  NOT_EQUAL: ProtoOperator.OPERATOR_NOT_EQUAL,
  CONTAINS: ProtoOperator.OPERATOR_CONTAINS,
  NOT_CONTAINS: ProtoOperator.OPERATOR_NOT_CONTAINS,
  LESS_THAN: ProtoOperator.OPERATOR_LESS_THAN,
  LESS_THAN_OR_EQUAL: ProtoOperator.OPERATOR_LESS_THAN_OR_EQUAL,
  GREATER_THAN: ProtoOperator.OPERATOR_GREATER_THAN,
  GREATER_THAN_OR_EQUAL: ProtoOperator.OPERATOR_GREATER_THAN_OR_EQUAL,
  IS_TRUE: ProtoOperator.OPERATOR_IS_TRUE,
  IS_FALSE: ProtoOperator.OPERATOR_IS_FALSE,
  EARLIER_THAN: ProtoOperator.OPERATOR_EARLIER_THAN,
  EARLIER_THAN_OR_EQUAL: ProtoOperator.OPERATOR_EARLIER_THAN_OR_EQUAL,
  LATER_THAN: ProtoOperator.OPERATOR_LATER_THAN,
  LATER_THAN_OR_EQUAL: ProtoOperator.OPERATOR_LATER_THAN_OR_EQUAL,
} as const satisfies Record<Operator, ProtoOperator>;

const columnDefinitionsByNumber = invert(columnDefinitionNumbers);
const operatorsByNumber = invert(operatorNumbers);

function invert<K extends string>(table: Record<K, number>): ReadonlyMap<number, K> {
  return new Map(Object.entries(table).map(([name, value]) => [value as number, name as K]));
}

/** The domain's name of a protocol ColumnDefinition; UNSPECIFIED for 0 and unknown numbers. */
export function fromProtoColumnDefinition(value: ProtoColumnDefinition): RequestedColumnDefinition {
  return columnDefinitionsByNumber.get(value) ?? "UNSPECIFIED";
}

export function toProtoColumnDefinition(definition: ColumnDefinition): ProtoColumnDefinition {
  return columnDefinitionNumbers[definition];
}

/** The domain's name of a protocol Operator; UNSPECIFIED for 0 and unknown numbers. */
export function fromProtoOperator(value: ProtoOperator): RequestedOperator {
  return operatorsByNumber.get(value) ?? "UNSPECIFIED";
}

/** The definition a request carries, as the domain validates it. */
export function fromProtoDefinition(proto: ProtoEventLogDefinition): EventLogDefinition {
  const columns = new Map<string, RequestedColumnDefinition>();
  for (const [name, value] of Object.entries(proto.columns)) {
    columns.set(name, fromProtoColumnDefinition(value));
  }
  return {
    columns,
    caseAttributes: proto.caseAttributes,
    positiveOutcome: proto.positiveOutcome && fromProtoRule(proto.positiveOutcome),
    negativeOutcome: proto.negativeOutcome && fromProtoRule(proto.negativeOutcome),
    treatment: proto.treatment && fromProtoRule(proto.treatment),
  };
}

/** The protocol's form of an effective definition; a rule without groups is left unset. */
export function toProtoDefinition(definition: EffectiveDefinition): ProtoEventLogDefinition {
  return {
    columns: toProtoColumnMap(definition.columns),
    caseAttributes: [...definition.caseAttributes],
    positiveOutcome: toProtoRule(definition.positiveOutcome),
    negativeOutcome: toProtoRule(definition.negativeOutcome),
    treatment: toProtoRule(definition.treatment),
  };
}

/** Column name → protocol ColumnDefinition, for answers that carry a map of definitions. */
export function toProtoColumnMap(
  columns: ReadonlyMap<string, ColumnDefinition>,
): Record<string, ProtoColumnDefinition> {
  const map: Record<string, ProtoColumnDefinition> = {};
  for (const [name, value] of columns) map[name] = toProtoColumnDefinition(value);
  return map;
}

function fromProtoRule(rule: ProtoCaseRule) {
  return {
    anyOf: rule.anyOf.map((group) => ({
      conditions: group.conditions.map((condition) => ({
        column: condition.column,
        operator: fromProtoOperator(condition.operator),
        value: condition.value,
      })),
    })),
  };
}

function toProtoRule(rule: EffectiveDefinition["treatment"]): ProtoCaseRule | undefined {
  if (rule === undefined || rule.anyOf.length === 0) return undefined;
  return {
    anyOf: rule.anyOf.map((group) => ({
      conditions: group.conditions.map((condition) => ({
        column: condition.column,
        // Stored definitions were validated: no condition is left UNSPECIFIED.
        operator:
          condition.operator === "UNSPECIFIED"
            ? ProtoOperator.OPERATOR_UNSPECIFIED
            : operatorNumbers[condition.operator],
        value: condition.value,
      })),
    })),
  };
}
