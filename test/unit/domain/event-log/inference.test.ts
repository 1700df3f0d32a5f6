import { describe, expect, it } from "vitest";
import type { RequestedColumnDefinition } from "../../../../src/domain/event-log/column-definition.js";
import type { EventLogDefinition } from "../../../../src/domain/event-log/definition.js";
import {
  effectiveDefinition,
  inferDefinitions,
  type TypedHint,
} from "../../../../src/domain/event-log/inference.js";

const inferred = (...header: string[]) => Object.fromEntries(inferDefinitions(header));

describe("inferDefinitions", () => {
  it("leaves columns it cannot infer out of the map", () => {
    expect(inferred("id", "name", "amount")).toEqual({});
    expect(inferDefinitions([]).size).toBe(0);
  });

  it("infers the receipt log (XES keys as CSV headers)", () => {
    const header =
      "case:channel,case:concept:name,case:deadline,case:department,case:enddate,case:enddate_planned,case:group,case:responsible,case:startdate,concept:instance,concept:name,lifecycle:transition,org:group,org:resource,time:timestamp";
    expect(inferred(...header.split(","))).toEqual({
      "case:concept:name": "CASE_ID",
      "concept:name": "ACTIVITY",
      "lifecycle:transition": "TRANSITION",
      "org:resource": "RESOURCE",
      "time:timestamp": "TIMESTAMP",
    });
  });

  it("gives each role to one column: the strongest suggestion, then the first", () => {
    expect(
      inferred(
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        "org:resource",
        "Resource",
        "Costs",
        "Activity",
      ),
    ).toEqual({
      "case:concept:name": "CASE_ID",
      "concept:name": "ACTIVITY",
      "time:timestamp": "TIMESTAMP",
      "org:resource": "RESOURCE",
      Costs: "COST",
    });
    expect(inferred("case", "case_id", "task", "activity")).toEqual({
      case: "CASE_ID",
      task: "ACTIVITY",
    });
    expect(inferred("Activity", "concept:name")).toEqual({ "concept:name": "ACTIVITY" });
    expect(inferred("my_timestamp", "timestamp", "time:timestamp")).toEqual({
      "time:timestamp": "TIMESTAMP",
    });
    expect(inferred("b_timestamp", "a_timestamp")).toEqual({ b_timestamp: "TIMESTAMP" });
    expect(inferred("user", "org:resource")).toEqual({ "org:resource": "RESOURCE" });
    expect(inferred("duration", "total_duration", "cost", "extra cost")).toEqual({
      duration: "DURATION",
      cost: "COST",
    });
    expect(inferred("transition", "lifecycle:transition")).toEqual({
      "lifecycle:transition": "TRANSITION",
    });
  });

  it("infers a start and an end column as a pair", () => {
    expect(inferred("case", "activity", "start_time", "end_time")).toEqual({
      case: "CASE_ID",
      activity: "ACTIVITY",
      start_time: "START_TIMESTAMP",
      end_time: "END_TIMESTAMP",
    });
  });

  it("keeps start and end beside a TIMESTAMP (interval logs)", () => {
    expect(
      inferred("case:concept:name", "concept:name", "time:timestamp", "start_timestamp"),
    ).toEqual({
      "case:concept:name": "CASE_ID",
      "concept:name": "ACTIVITY",
      "time:timestamp": "TIMESTAMP",
      start_timestamp: "START_TIMESTAMP",
    });
    expect(inferred("timestamp", "start_time", "end_time")).toEqual({
      timestamp: "TIMESTAMP",
      start_time: "START_TIMESTAMP",
      end_time: "END_TIMESTAMP",
    });
  });

  it("makes a lone start or end column the TIMESTAMP", () => {
    expect(inferred("Case ID", "Activity", "Complete Timestamp")).toEqual({
      "Case ID": "CASE_ID",
      Activity: "ACTIVITY",
      "Complete Timestamp": "TIMESTAMP",
    });
    expect(inferred("start_date")).toEqual({ start_date: "TIMESTAMP" });
    expect(inferred("finish_date", "begin_time_x")).toEqual({
      finish_date: "END_TIMESTAMP",
      begin_time_x: "START_TIMESTAMP",
    });
    expect(inferred("end_date", "end_time")).toEqual({ end_date: "TIMESTAMP" });
  });
});

const definition = (
  columns: Record<string, RequestedColumnDefinition> = {},
  rest: Partial<EventLogDefinition> = {},
): EventLogDefinition => ({
  columns: new Map(Object.entries(columns)),
  caseAttributes: [],
  ...rest,
});

const effective = (
  header: string[],
  given: EventLogDefinition = definition(),
  typedHints: Record<string, TypedHint> = {},
  caseIdColumn = "",
) =>
  Object.fromEntries(
    effectiveDefinition(header, given, {
      typedHints: new Map(Object.entries(typedHints)),
      caseIdColumn,
    }).columns,
  );

describe("effectiveDefinition", () => {
  it("defines every header column, in header order, TEXT when nothing else applies", () => {
    const result = effectiveDefinition(["amount", "case", "activity", "timestamp"], definition());
    expect([...result.columns]).toEqual([
      ["amount", "TEXT"],
      ["case", "CASE_ID"],
      ["activity", "ACTIVITY"],
      ["timestamp", "TIMESTAMP"],
    ]);
  });

  it("lets a given definition win over inference, and does not infer a given role again", () => {
    expect(effective(["case", "id", "activity"], definition({ id: "CASE_ID" }))).toEqual({
      case: "TEXT",
      id: "CASE_ID",
      activity: "ACTIVITY",
    });
    expect(effective(["case", "case_id"], definition({ case: "CATEGORICAL" }))).toEqual({
      case: "CATEGORICAL",
      case_id: "CASE_ID",
    });
    expect(effective(["start_time", "end_time", "t"], definition({ t: "TIMESTAMP" }))).toEqual({
      start_time: "START_TIMESTAMP",
      end_time: "END_TIMESTAMP",
      t: "TIMESTAMP",
    });
  });

  it("completes a given start or end with the inferred other side", () => {
    expect(effective(["s", "end_time"], definition({ s: "START_TIMESTAMP" }))).toEqual({
      s: "START_TIMESTAMP",
      end_time: "END_TIMESTAMP",
    });
    expect(effective(["start_time", "e"], definition({ e: "END_TIMESTAMP" }))).toEqual({
      start_time: "START_TIMESTAMP",
      e: "END_TIMESTAMP",
    });
    expect(effective(["start_time", "s"], definition({ s: "START_TIMESTAMP" }))).toEqual({
      start_time: "TEXT",
      s: "START_TIMESTAMP",
    });
  });

  it("ignores UNSPECIFIED and columns that are not in the header (validation reports them)", () => {
    expect(effective(["case", "x"], definition({ case: "UNSPECIFIED", y: "NUMBER" }))).toEqual({
      case: "CASE_ID",
      x: "TEXT",
    });
  });

  it("uses typed hints for columns that inference leaves unset", () => {
    expect(
      effective(["amount", "paid", "when", "note"], definition(), {
        amount: "NUMBER",
        paid: "BOOLEAN",
        when: "DATETIME",
      }),
    ).toEqual({ amount: "NUMBER", paid: "BOOLEAN", when: "DATETIME", note: "TEXT" });
  });

  it("infers a role over a hint when the hinted values fit the role", () => {
    expect(
      effective(
        [
          "case:concept:name",
          "concept:name",
          "time:timestamp",
          "start_timestamp",
          "cost",
          "duration",
        ],
        definition(),
        {
          "time:timestamp": "DATETIME",
          start_timestamp: "DATETIME",
          cost: "NUMBER",
          duration: "NUMBER",
        },
      ),
    ).toEqual({
      "case:concept:name": "CASE_ID",
      "concept:name": "ACTIVITY",
      "time:timestamp": "TIMESTAMP",
      start_timestamp: "START_TIMESTAMP",
      cost: "COST",
      duration: "DURATION",
    });
    expect(
      effective(["case", "activity"], definition(), { case: "NUMBER", activity: "BOOLEAN" }),
    ).toEqual({
      case: "CASE_ID",
      activity: "ACTIVITY",
    });
  });

  it("keeps the hint when the role cannot hold the hinted values, and infers the next candidate", () => {
    expect(
      effective(["timestamp_count", "timestamp"], definition(), { timestamp_count: "NUMBER" }),
    ).toEqual({ timestamp_count: "NUMBER", timestamp: "TIMESTAMP" });
    expect(
      effective(["cost", "duration"], definition(), { cost: "DATETIME", duration: "BOOLEAN" }),
    ).toEqual({
      cost: "DATETIME",
      duration: "BOOLEAN",
    });
  });

  it("lets a given definition win over a hint", () => {
    expect(effective(["amount"], definition({ amount: "TEXT" }), { amount: "NUMBER" })).toEqual({
      amount: "TEXT",
    });
  });

  it("reads the legacy case_id_column as columns[c] = CASE_ID", () => {
    expect(effective(["case", "id", "activity"], definition(), {}, "id")).toEqual({
      case: "TEXT",
      id: "CASE_ID",
      activity: "ACTIVITY",
    });
    expect(effective(["case", "id"], definition({ id: "CASE_ID" }), {}, " id ")).toEqual({
      case: "TEXT",
      id: "CASE_ID",
    });
    expect(effective(["case", "id"], definition(), {}, "")).toEqual({
      case: "CASE_ID",
      id: "TEXT",
    });
  });

  it("keeps the rules and case attributes of the request", () => {
    const rule = {
      anyOf: [{ conditions: [{ column: "a", operator: "EQUAL" as const, value: "x" }] }],
    };
    const given = definition({}, { caseAttributes: ["a"], positiveOutcome: rule, treatment: rule });
    const result = effectiveDefinition(["a"], given);
    expect(result.caseAttributes).toEqual(["a"]);
    expect(result.positiveOutcome).toBe(rule);
    expect(result.negativeOutcome).toBeUndefined();
    expect(result.treatment).toBe(rule);
  });
});
