// Builders for event-log definitions and cases in unit tests.
import type {
  ColumnDefinition,
  RequestedOperator,
} from "../../src/domain/event-log/column-definition.js";
import type {
  CaseRule,
  Condition,
  EffectiveDefinition,
} from "../../src/domain/event-log/definition.js";
import type { LogEvent } from "../../src/domain/event-log/rules.js";
import { readTimestamp } from "../../src/domain/event-log/values.js";

export type Columns = Record<string, ColumnDefinition>;

export function condition(column: string, operator: RequestedOperator, value = ""): Condition {
  return { column, operator, value };
}

/** A rule of groups, each a list of conditions. */
export function rule(...groups: Condition[][]): CaseRule {
  return { anyOf: groups.map((conditions) => ({ conditions })) };
}

export function effective(
  columns: Columns,
  rules: Partial<Omit<EffectiveDefinition, "columns">> = {},
): EffectiveDefinition {
  return { columns: new Map(Object.entries(columns)), caseAttributes: [], ...rules };
}

/**
 * Events from rows of cells by column name (missing names are empty cells); each event's time
 * is its TIMESTAMP cell, else its START_TIMESTAMP cell.
 */
export function eventsOf(columns: Columns, rows: Record<string, string>[]): LogEvent[] {
  const header = Object.keys(columns);
  const timeColumn =
    header.find((name) => columns[name] === "TIMESTAMP") ??
    header.find((name) => columns[name] === "START_TIMESTAMP");
  return rows.map((row) => {
    const cells = header.map((name) => row[name] ?? "");
    const time = timeColumn === undefined ? undefined : readTimestamp(row[timeColumn] ?? "");
    return { cells, time: time ?? null };
  });
}
