/**
 * Evaluation of case rules over the events of one case.
 *
 * A condition `{column, operator, value}` holds for an event when the event's value in that
 * column compares as the operator says with the condition's value, read with the column's type:
 * - text and categorical: EQUAL / NOT_EQUAL compare the cell exactly as written; CONTAINS /
 *   NOT_CONTAINS are case-sensitive substring tests;
 * - numbers and durations compare numerically (`1.0` EQUAL `1`; `3 days` GREATER_THAN `2 d`);
 * - timestamps and DATETIME compare instants, so the same instant written with different
 *   offsets is EQUAL; EARLIER_THAN is `<`, EARLIER_THAN_OR_EQUAL `<=`, LATER_THAN `>`,
 *   LATER_THAN_OR_EQUAL `>=` (equal instants match it);
 * - booleans: IS_TRUE / IS_FALSE hold for a value that reads as true / false.
 * A missing value (an empty cell) satisfies no condition at all, not even NOT_EQUAL,
 * NOT_CONTAINS or IS_FALSE: "not equal to x" is read as "has a value, and it is not x". A cell
 * that does not read for its type satisfies none either; preprocessing refuses such cells before
 * rules run.
 *
 * `DURATION` names the case's duration in seconds, the same for every event of the case: the
 * latest END_TIMESTAMP minus the earliest START_TIMESTAMP when the log defines both, else the
 * latest TIMESTAMP minus the earliest. A case without any such instant has no duration.
 */
import {
  type ColumnDefinition,
  type Operator,
  operatorsFor,
  takesValue,
  type ValueType,
} from "./column-definition.js";
import { resolveColumn } from "./column-references.js";
import { type CaseRule, type Condition, indexOfDefinition } from "./definition.js";
import { isMissing, readBoolean, readDuration, readNumber, readTimestamp } from "./values.js";

/** One event of a case. */
export interface LogEvent {
  /** The raw cells, in header order. */
  readonly cells: readonly string[];
  /** The instant the event is ordered by (epoch milliseconds); null when it has none. */
  readonly time: number | null;
}

/** Per case facts that conditions may need, computed at most once per case. */
export interface CaseFacts {
  /** The case's duration in seconds, null when it has no timestamps. */
  duration(): number | null;
}

type EventTest = (cells: readonly string[], facts: CaseFacts) => boolean;

export interface CompiledRule {
  /** Index of the first event (in the given order) that satisfies some group; -1 for none. */
  firstMatch(events: readonly LogEvent[], facts: CaseFacts): number;
}

/** Compiles a validated rule for a log with these columns; throws on an invalid rule. */
export function compileRule(
  rule: CaseRule,
  columns: ReadonlyMap<string, ColumnDefinition>,
): CompiledRule {
  const groups = rule.anyOf.map((group) =>
    group.conditions.map((condition) => compileCondition(condition, columns)),
  );
  const satisfies = (cells: readonly string[], facts: CaseFacts) =>
    groups.some((tests) => tests.every((test) => test(cells, facts)));
  return {
    firstMatch: (events, facts) => events.findIndex((event) => satisfies(event.cells, facts)),
  };
}

/** Computes the facts of each case of a log with these columns. */
export function caseFactsFor(
  columns: ReadonlyMap<string, ColumnDefinition>,
): (events: readonly LogEvent[]) => CaseFacts {
  const start = indexOfDefinition(columns, "START_TIMESTAMP");
  const end = indexOfDefinition(columns, "END_TIMESTAMP");
  const timestamp = indexOfDefinition(columns, "TIMESTAMP");
  const [from, to] = start >= 0 && end >= 0 ? [start, end] : [timestamp, timestamp];
  return (events) => {
    let duration: number | null | undefined;
    return {
      duration: () => {
        if (duration === undefined) duration = caseDuration(events, from, to);
        return duration;
      },
    };
  };
}

/** Seconds from the earliest instant in column `from` to the latest in column `to`. */
function caseDuration(events: readonly LogEvent[], from: number, to: number): number | null {
  if (from < 0 || to < 0) return null;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    const begins = readTimestamp(event.cells[from] ?? "");
    const ends = to === from ? begins : readTimestamp(event.cells[to] ?? "");
    if (begins !== undefined && begins < first) first = begins;
    if (ends !== undefined && ends > last) last = ends;
  }
  return Number.isFinite(first) && Number.isFinite(last) ? (last - first) / 1000 : null;
}

function compileCondition(
  condition: Condition,
  columns: ReadonlyMap<string, ColumnDefinition>,
): EventTest {
  const reference = resolveColumn(condition.column, columns);
  if (!reference) throw invalid(condition, "no such column");
  const operator = condition.operator;
  if (operator === "UNSPECIFIED" || !operatorsFor(reference.type).includes(operator)) {
    throw invalid(condition, `${operator} does not apply to ${reference.type} values`);
  }
  const compare = comparison(reference.type, operator, condition);
  if (reference.kind === "case-duration") {
    return (_cells, facts) => {
      const duration = facts.duration();
      return duration !== null && compare(duration);
    };
  }
  const index = reference.index;
  const read = reader(reference.type);
  return (cells) => {
    const cell = cells[index] ?? "";
    if (isMissing(cell)) return false;
    const value = read(cell);
    return value !== undefined && compare(value);
  };
}

type Value = string | number | boolean;

function reader(type: ValueType): (cell: string) => Value | undefined {
  switch (type) {
    case "number":
      return readNumber;
    case "duration":
      return readDuration;
    case "timestamp":
      return readTimestamp;
    case "boolean":
      return readBoolean;
    default:
      return (cell) => cell;
  }
}

/** A test of a cell's value against the condition's value. */
function comparison(
  type: ValueType,
  operator: Operator,
  condition: Condition,
): (value: Value) => boolean {
  if (operator === "IS_TRUE") return (value) => value === true;
  if (operator === "IS_FALSE") return (value) => value === false;
  const target = takesValue(operator) ? reader(type)(condition.value) : undefined;
  if (target === undefined || isMissing(condition.value)) {
    throw invalid(condition, `cannot read the value as ${type}`);
  }
  switch (operator) {
    case "EQUAL":
      return (value) => value === target;
    case "NOT_EQUAL":
      return (value) => value !== target;
    case "CONTAINS":
      return (value) => String(value).includes(String(target));
    case "NOT_CONTAINS":
      return (value) => !String(value).includes(String(target));
    case "LESS_THAN":
    case "EARLIER_THAN":
      return (value) => value < target;
    case "LESS_THAN_OR_EQUAL":
    case "EARLIER_THAN_OR_EQUAL":
      return (value) => value <= target;
    case "GREATER_THAN":
    case "LATER_THAN":
      return (value) => value > target;
    case "GREATER_THAN_OR_EQUAL":
    case "LATER_THAN_OR_EQUAL":
      return (value) => value >= target;
  }
}

function invalid(condition: Condition, why: string): Error {
  return new Error(`invalid condition ${JSON.stringify(condition)}: ${why}; validate it first`);
}
