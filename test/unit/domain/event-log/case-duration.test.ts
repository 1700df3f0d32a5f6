import { describe, expect, it } from "vitest";
import type { Operator } from "../../../../src/domain/event-log/column-definition.js";
import { caseLabels } from "../../../../src/domain/event-log/labels.js";
import { type Columns, condition, effective, eventsOf, rule } from "../../../helpers/event-log.js";

describe("DURATION: the case duration", () => {
  const log: Columns = { case: "CASE_ID", task: "ACTIVITY", time: "TIMESTAMP" };
  const threeDays = eventsOf(log, [
    { case: "c", task: "b", time: "2020-01-04T02:00:00+02:00" },
    { case: "c", task: "a", time: "2020-01-01T00:00:00Z" },
    { case: "c", task: "m", time: "2020-01-02T00:00:00Z" },
  ]);
  const matches = (operator: Operator, value: string, events = threeDays, columns = log) =>
    caseLabels(
      events,
      effective(columns, { positiveOutcome: rule([condition("DURATION", operator, value)]) }),
    ).outcome === 1;

  it.each([
    ["EQUAL", "3 days", true],
    ["EQUAL", "259200", true],
    ["EQUAL", "72 hours", true],
    ["NOT_EQUAL", "3 days", false],
    ["GREATER_THAN", "3 days", false],
    ["GREATER_THAN", "2 days", true],
    ["GREATER_THAN_OR_EQUAL", "3 days", true],
    ["LESS_THAN", "3 days", false],
    ["LESS_THAN", "1 week", true],
    ["LESS_THAN_OR_EQUAL", "3 days", true],
    ["LESS_THAN_OR_EQUAL", "259199", false],
  ] as const)("last minus first timestamp (3 days) %s %j is %s", (operator, value, expected) => {
    expect(matches(operator, value)).toBe(expected);
  });

  it("is 0 for a case of one event, and counts only events with a time", () => {
    expect(matches("EQUAL", "0", threeDays.slice(0, 1))).toBe(true);
    const withGap = eventsOf(log, [
      { case: "c", task: "a", time: "2020-01-01T00:00:00Z" },
      { case: "c", task: "b", time: "" },
      { case: "c", task: "c", time: "2020-01-01T00:30:00Z" },
    ]);
    expect(matches("EQUAL", "30 min", withGap)).toBe(true);
    const timeless = eventsOf(log, [{ case: "c", task: "a", time: "" }]);
    expect(matches("GREATER_THAN_OR_EQUAL", "0", timeless)).toBe(false);
  });

  it("runs from the earliest start to the latest end with START and END timestamps", () => {
    const interval: Columns = {
      case: "CASE_ID",
      task: "ACTIVITY",
      from: "START_TIMESTAMP",
      to: "END_TIMESTAMP",
    };
    const events = eventsOf(interval, [
      { case: "c", task: "a", from: "2020-01-01T10:00:00Z", to: "2020-01-01T18:00:00Z" },
      { case: "c", task: "b", from: "2020-01-01T08:00:00Z", to: "2020-01-01T09:00:00Z" },
    ]);
    expect(matches("EQUAL", "10 h", events, interval)).toBe(true);
  });

  it("prefers START and END over TIMESTAMP when the log has all three", () => {
    const all: Columns = {
      case: "CASE_ID",
      task: "ACTIVITY",
      time: "TIMESTAMP",
      from: "START_TIMESTAMP",
      to: "END_TIMESTAMP",
    };
    const events = eventsOf(all, [
      {
        case: "c",
        task: "a",
        time: "2020-01-01T10:00:00Z",
        from: "2020-01-01T09:00:00Z",
        to: "2020-01-01T11:00:00Z",
      },
    ]);
    expect(matches("EQUAL", "2 h", events, all)).toBe(true);
  });

  it("means the case duration even when the log has a DURATION column", () => {
    const withColumn: Columns = { ...log, took: "DURATION" };
    const events = eventsOf(withColumn, [
      { case: "c", task: "a", time: "2020-01-01T00:00:00Z", took: "5" },
      { case: "c", task: "b", time: "2020-01-01T00:01:00Z", took: "5" },
    ]);
    expect(matches("EQUAL", "60", events, withColumn)).toBe(true);
    expect(matches("EQUAL", "5", events, withColumn)).toBe(false);
  });

  it("is the header column when the header has a column named DURATION", () => {
    const named: Columns = { ...log, DURATION: "NUMBER" };
    const events = eventsOf(named, [{ case: "c", task: "a", time: "2020-01-01", DURATION: "5" }]);
    expect(matches("EQUAL", "5", events, named)).toBe(true);
  });
});
