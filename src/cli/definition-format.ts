/**
 * Event-log definitions for people: the columns and their meaning as a table, and each rule on
 * one line, e.g. `ACTIVITY == "T10 Determine necessity to stop indication" (any event)`.
 */
import {
  type CaseRule,
  ColumnDefinition,
  type Condition,
  type ConditionGroup,
  type EventLogDefinition,
  Operator,
} from "../gen/trainingcore/v1/definition.js";
import type { Dataset } from "../gen/trainingcore/v1/project.js";
import { columnDefinitionName, operatorName } from "./definition-names.js";
import { table } from "./format.js";

const operatorSymbols: Partial<Record<Operator, string>> = {
  [Operator.OPERATOR_EQUAL]: "==",
  [Operator.OPERATOR_NOT_EQUAL]: "!=",
  [Operator.OPERATOR_CONTAINS]: "contains",
  [Operator.OPERATOR_NOT_CONTAINS]: "does not contain",
  [Operator.OPERATOR_LESS_THAN]: "<",
  [Operator.OPERATOR_LESS_THAN_OR_EQUAL]: "<=",
  [Operator.OPERATOR_GREATER_THAN]: ">",
  [Operator.OPERATOR_GREATER_THAN_OR_EQUAL]: ">=",
  [Operator.OPERATOR_IS_TRUE]: "is true",
  [Operator.OPERATOR_IS_FALSE]: "is false",
  [Operator.OPERATOR_EARLIER_THAN]: "earlier than",
  [Operator.OPERATOR_EARLIER_THAN_OR_EQUAL]: "at or earlier than",
  [Operator.OPERATOR_LATER_THAN]: "later than",
  [Operator.OPERATOR_LATER_THAN_OR_EQUAL]: "at or later than",
};

const takesNoValue = new Set([Operator.OPERATOR_IS_TRUE, Operator.OPERATOR_IS_FALSE]);

/** A column name as written in a condition: bare when it has no blank or quote. */
function columnText(name: string): string {
  return /^[^\s"]+$/.test(name) ? name : JSON.stringify(name);
}

/** `amount >= "100"`, `paid is true`. */
export function conditionText(condition: Condition): string {
  const operator = operatorSymbols[condition.operator] ?? operatorName(condition.operator);
  const value = takesNoValue.has(condition.operator) ? "" : ` ${JSON.stringify(condition.value)}`;
  return `${columnText(condition.column)} ${operator}${value}`;
}

/**
 * One group: its conditions joined by `and`, then whether one event must satisfy them all. A
 * group only on the case's duration (`DURATION` when no header column has that name) says
 * nothing about events.
 */
function groupText(group: ConditionGroup, columns: Readonly<Record<string, unknown>>): string {
  const text = group.conditions.map(conditionText).join(" and ");
  const onCaseDuration = (c: Condition) =>
    c.column === "DURATION" && !Object.hasOwn(columns, "DURATION");
  if (group.conditions.every(onCaseDuration)) return text;
  return `${text} ${group.conditions.length > 1 ? "(same event)" : "(any event)"}`;
}

/** A rule on one line: its groups joined by `or`. */
export function ruleText(rule: CaseRule, columns: Readonly<Record<string, unknown>> = {}): string {
  return rule.anyOf.map((group) => groupText(group, columns)).join(" or ");
}

const hasGroups = (rule: CaseRule | undefined): rule is CaseRule =>
  rule !== undefined && rule.anyOf.length > 0;

function columnDefinedAs(
  definition: EventLogDefinition,
  wanted: ColumnDefinition,
): string | undefined {
  return Object.entries(definition.columns).find(([, value]) => value === wanted)?.[0];
}

/**
 * The `name: value` lines of an effective definition for `project get`: its rules, its case
 * attributes and, once preprocessed, how many training cases each label marks.
 */
export function definitionFields(
  definition: EventLogDefinition,
  dataset: Dataset | undefined,
): [string, string][] {
  const fields: [string, string][] = [];
  const { columns } = definition;
  const outcomeColumn = columnDefinedAs(definition, ColumnDefinition.COLUMN_DEFINITION_OUTCOME);
  const treatmentColumn = columnDefinedAs(definition, ColumnDefinition.COLUMN_DEFINITION_TREATMENT);
  if (hasGroups(definition.positiveOutcome)) {
    fields.push(["positive outcome", ruleText(definition.positiveOutcome, columns)]);
  } else if (hasGroups(definition.negativeOutcome)) {
    fields.push(["negative outcome", ruleText(definition.negativeOutcome, columns)]);
  } else if (outcomeColumn !== undefined) {
    fields.push(["outcome", `from the column ${JSON.stringify(outcomeColumn)}`]);
  }
  if (hasGroups(definition.treatment)) {
    fields.push(["treatment", ruleText(definition.treatment, columns)]);
  } else if (treatmentColumn !== undefined) {
    fields.push(["treatment", `from the column ${JSON.stringify(treatmentColumn)}`]);
  }
  if (definition.caseAttributes.length > 0) {
    fields.push(["case attributes", definition.caseAttributes.join(", ")]);
  }
  if (dataset) {
    const outcome =
      hasGroups(definition.positiveOutcome) ||
      hasGroups(definition.negativeOutcome) ||
      outcomeColumn !== undefined;
    const treatment = hasGroups(definition.treatment) || treatmentColumn !== undefined;
    if (outcome) fields.push(["positive cases", `${dataset.positiveCases} (training set)`]);
    if (treatment) fields.push(["treated cases", `${dataset.treatedCases} (training set)`]);
  }
  return fields;
}

/** Every column with its definition, in the file's order when the header is known. */
export function definitionTable(
  definition: EventLogDefinition,
  header: readonly string[] = [],
): string {
  const defined = Object.keys(definition.columns);
  const names = [
    ...header.filter((name) => Object.hasOwn(definition.columns, name)),
    ...defined.filter((name) => !header.includes(name)),
  ];
  return table(
    ["COLUMN", "DEFINITION"],
    names.map((name) => [name, columnDefinitionName(definition.columns[name] ?? 0)]),
  );
}
