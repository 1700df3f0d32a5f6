/**
 * Problems with the conditions of the outcome and treatment rules: every condition names a
 * column that exists, uses an operator that fits the column's type, and carries a value that
 * reads as that type (none for IS_TRUE and IS_FALSE). Each message says where the condition is
 * (`treatment group 2 condition 1`) and what to do.
 */
import {
  type ColumnDefinition,
  isRoleDefinition,
  type Operator,
  operatorsFor,
  type RequestedOperator,
  takesValue,
  type ValueType,
} from "./column-definition.js";
import { type ColumnReference, resolveColumn } from "./column-references.js";
import type { CaseRule, Condition, EffectiveDefinition } from "./definition.js";
import { quotedList } from "./messages.js";
import { isMissing, parseDuration, parseNumber, parseTimestamp } from "./values.js";

const ruleNames = ["positive_outcome", "negative_outcome", "treatment"] as const;
const ruleFields = {
  positive_outcome: "positiveOutcome",
  negative_outcome: "negativeOutcome",
  treatment: "treatment",
} as const;

/** Every problem of every condition of the definition's rules. */
export function ruleProblems(definition: EffectiveDefinition): string[] {
  const problems: string[] = [];
  for (const ruleName of ruleNames) {
    const rule: CaseRule | undefined = definition[ruleFields[ruleName]];
    rule?.anyOf.forEach((group, g) => {
      const groupName = `${ruleName} group ${g + 1}`;
      if (group.conditions.length === 0) {
        problems.push(`${groupName} has no conditions: add one or remove the group`);
      }
      group.conditions.forEach((condition, c) => {
        const where = `${groupName} condition ${c + 1}`;
        const problem = conditionProblem(condition, definition.columns, where);
        if (problem) problems.push(problem);
      });
    });
  }
  return problems;
}

function conditionProblem(
  condition: Condition,
  columns: ReadonlyMap<string, ColumnDefinition>,
  where: string,
): string | undefined {
  const reference = resolveColumn(condition.column, columns);
  if (!reference) {
    const roles = [...new Set(columns.values())].filter(
      (definition) => isRoleDefinition(definition) && definition !== "DURATION",
    );
    const byRole =
      roles.length > 0 ? `, a defined column by its definition (${roles.join(", ")})` : "";
    return (
      `${where}: no column ${JSON.stringify(condition.column)}; name a column of the header ` +
      `(${quotedList([...columns.keys()])})${byRole} or DURATION for the case duration`
    );
  }
  const allowed = operatorsFor(reference.type);
  const subject = describe(reference);
  const operator: RequestedOperator = condition.operator;
  if (operator === "UNSPECIFIED") {
    return `${where}: no operator; for ${subject} use one of ${allowed.join(", ")}`;
  }
  if (!allowed.includes(operator)) {
    return (
      `${where}: ${operator} does not apply to ${subject}; use one of ${allowed.join(", ")}` +
      redefinitionHint(reference, operator)
    );
  }
  if (!takesValue(operator)) {
    return isMissing(condition.value)
      ? undefined
      : `${where}: ${operator} takes no value; leave the value empty`;
  }
  if (isMissing(condition.value)) return `${where}: ${operator} needs a value to compare with`;
  const readProblem = valueProblem(condition.value, reference.type);
  return readProblem && `${where}: ${readProblem}`;
}

function describe(reference: ColumnReference): string {
  if (reference.kind === "case-duration") return "the case duration (DURATION)";
  return `${JSON.stringify(reference.name)}, a ${reference.type} column (${reference.definition})`;
}

const typeForOperator: Partial<Record<Operator, ColumnDefinition>> = {
  CONTAINS: "TEXT",
  NOT_CONTAINS: "TEXT",
  LESS_THAN: "NUMBER",
  LESS_THAN_OR_EQUAL: "NUMBER",
  GREATER_THAN: "NUMBER",
  GREATER_THAN_OR_EQUAL: "NUMBER",
  IS_TRUE: "BOOLEAN",
  IS_FALSE: "BOOLEAN",
  EARLIER_THAN: "DATETIME",
  EARLIER_THAN_OR_EQUAL: "DATETIME",
  LATER_THAN: "DATETIME",
  LATER_THAN_OR_EQUAL: "DATETIME",
};

/** For a plain attribute column, the definition under which the operator would apply. */
function redefinitionHint(reference: ColumnReference, operator: Operator): string {
  if (reference.kind !== "column" || isRoleDefinition(reference.definition)) return "";
  const fitting = typeForOperator[operator];
  return fitting ? `, or define ${JSON.stringify(reference.name)} as ${fitting}` : "";
}

function valueProblem(value: string, type: ValueType): string | undefined {
  switch (type) {
    case "number": {
      const read = parseNumber(value);
      return read.ok ? undefined : `${read.problem} (write numbers like 12 or -3.5e2)`;
    }
    case "duration": {
      const read = parseDuration(value);
      return read.ok ? undefined : `${read.problem} (write durations like 90, 3 days or 1.5 h)`;
    }
    case "timestamp": {
      const read = parseTimestamp(value);
      return read.ok
        ? undefined
        : `${read.problem} (write ISO 8601, like 2011-10-01T00:38:44Z or 2011-10-01)`;
    }
    default:
      return undefined;
  }
}
