import { describe, expect, it } from "vitest";
import type {
  Operator,
  RequestedColumnDefinition,
} from "../../../../src/domain/event-log/column-definition.js";
import type { EventLogDefinition } from "../../../../src/domain/event-log/definition.js";
import {
  resolveDefinition,
  validateDefinition,
} from "../../../../src/domain/event-log/validation.js";
import { condition, rule } from "../../../helpers/event-log.js";

const header = ["case", "activity", "timestamp", "user", "amount", "paid", "note", "kind", "due"];
const typed: Record<string, RequestedColumnDefinition> = {
  amount: "NUMBER",
  paid: "BOOLEAN",
  kind: "CATEGORICAL",
  due: "DATETIME",
};

function request(
  columns: Record<string, RequestedColumnDefinition> = typed,
  rest: Partial<EventLogDefinition> = {},
): EventLogDefinition {
  return { columns: new Map(Object.entries(columns)), caseAttributes: [], ...rest };
}

const problems = (given: EventLogDefinition, names = header, caseIdColumn = "") =>
  validateDefinition(names, given, { caseIdColumn });

describe("validateDefinition: conditions", () => {
  const problemOf = (column: string, operator: Operator | "UNSPECIFIED", value = "") =>
    problems(request(typed, { treatment: rule([condition(column, operator, value)]) }));

  it("refuses a group without conditions", () => {
    const given = request(typed, {
      positiveOutcome: {
        anyOf: [{ conditions: [condition("note", "EQUAL", "x")] }, { conditions: [] }],
      },
    });
    expect(problems(given)).toEqual([
      "positive_outcome group 2 has no conditions: add one or remove the group",
    ]);
  });

  it("refuses an unknown column, saying what can be named", () => {
    expect(problemOf("Note", "EQUAL", "x")).toEqual([
      'treatment group 1 condition 1: no column "Note"; name a column of the header ("case", "activity", "timestamp", "user", "amount", "paid", "note", "kind", "due"), a defined column by its definition (CASE_ID, ACTIVITY, TIMESTAMP, RESOURCE) or DURATION for the case duration',
    ]);
    expect(problemOf("COST", "EQUAL", "1")[0]).toMatch(/no column "COST"/);
  });

  it("refuses a missing operator, listing the ones that fit", () => {
    expect(problemOf("note", "UNSPECIFIED", "x")).toEqual([
      'treatment group 1 condition 1: no operator; for "note", a text column (TEXT) use one of EQUAL, NOT_EQUAL, CONTAINS, NOT_CONTAINS',
    ]);
  });

  const fits: Record<string, Operator[]> = {
    note: ["EQUAL", "NOT_EQUAL", "CONTAINS", "NOT_CONTAINS"],
    activity: ["EQUAL", "NOT_EQUAL", "CONTAINS", "NOT_CONTAINS"],
    kind: ["EQUAL", "NOT_EQUAL"],
    amount: [
      "EQUAL",
      "NOT_EQUAL",
      "LESS_THAN",
      "LESS_THAN_OR_EQUAL",
      "GREATER_THAN",
      "GREATER_THAN_OR_EQUAL",
    ],
    DURATION: [
      "EQUAL",
      "NOT_EQUAL",
      "LESS_THAN",
      "LESS_THAN_OR_EQUAL",
      "GREATER_THAN",
      "GREATER_THAN_OR_EQUAL",
    ],
    paid: ["IS_TRUE", "IS_FALSE"],
    timestamp: [
      "EQUAL",
      "NOT_EQUAL",
      "EARLIER_THAN",
      "EARLIER_THAN_OR_EQUAL",
      "LATER_THAN",
      "LATER_THAN_OR_EQUAL",
    ],
    due: [
      "EQUAL",
      "NOT_EQUAL",
      "EARLIER_THAN",
      "EARLIER_THAN_OR_EQUAL",
      "LATER_THAN",
      "LATER_THAN_OR_EQUAL",
    ],
  };
  const sample: Record<string, string> = {
    note: "x",
    activity: "x",
    kind: "x",
    amount: "1",
    DURATION: "1 h",
    paid: "",
    timestamp: "2020-01-01",
    due: "2020-01-01",
  };
  const allOperators: Operator[] = [
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
  ];
  for (const [column, allowed] of Object.entries(fits)) {
    it(`accepts exactly ${allowed.join(", ")} on ${column}`, () => {
      for (const operator of allOperators) {
        const value = allowed.includes(operator)
          ? (sample[column] ?? "")
          : operator.startsWith("IS_")
            ? ""
            : "1";
        const found = problemOf(column, operator, value);
        if (allowed.includes(operator)) expect(found, operator).toEqual([]);
        else expect(found[0], operator).toContain(`${operator} does not apply to`);
      }
    });
  }

  it("suggests redefining a plain attribute so that the operator applies", () => {
    expect(problemOf("note", "GREATER_THAN", "1")).toEqual([
      'treatment group 1 condition 1: GREATER_THAN does not apply to "note", a text column (TEXT); use one of EQUAL, NOT_EQUAL, CONTAINS, NOT_CONTAINS, or define "note" as NUMBER',
    ]);
    expect(problemOf("note", "IS_TRUE")[0]).toMatch(/or define "note" as BOOLEAN$/);
    expect(problemOf("note", "LATER_THAN", "2020-01-01")[0]).toMatch(
      /or define "note" as DATETIME$/,
    );
    expect(problemOf("kind", "CONTAINS", "x")[0]).toMatch(/or define "kind" as TEXT$/);
    expect(problemOf("activity", "LESS_THAN", "1")[0]).toMatch(/NOT_CONTAINS$/);
    expect(problemOf("DURATION", "IS_TRUE")).toEqual([
      "treatment group 1 condition 1: IS_TRUE does not apply to the case duration (DURATION); use one of EQUAL, NOT_EQUAL, LESS_THAN, LESS_THAN_OR_EQUAL, GREATER_THAN, GREATER_THAN_OR_EQUAL",
    ]);
  });

  it("refuses values that do not read for the column's type", () => {
    expect(problemOf("amount", "EQUAL", "1,5")).toEqual([
      'treatment group 1 condition 1: cannot read "1,5" as a number (write numbers like 12 or -3.5e2)',
    ]);
    expect(problemOf("DURATION", "GREATER_THAN", "2 months")).toEqual([
      'treatment group 1 condition 1: cannot read "2 months" as a duration (write durations like 90, 3 days or 1.5 h)',
    ]);
    expect(problemOf("due", "EARLIER_THAN", "yesterday")).toEqual([
      'treatment group 1 condition 1: cannot read "yesterday" as a timestamp (write ISO 8601, like 2011-10-01T00:38:44Z or 2011-10-01)',
    ]);
    expect(problemOf("TIMESTAMP", "EQUAL", "1")[0]).toMatch(/cannot read "1" as a timestamp/);
  });

  it("refuses a missing value, and a value for IS_TRUE or IS_FALSE", () => {
    expect(problemOf("note", "EQUAL")).toEqual([
      "treatment group 1 condition 1: EQUAL needs a value to compare with",
    ]);
    expect(problemOf("amount", "LESS_THAN", " ")).toEqual([
      "treatment group 1 condition 1: LESS_THAN needs a value to compare with",
    ]);
    expect(problemOf("paid", "IS_FALSE", "yes")).toEqual([
      "treatment group 1 condition 1: IS_FALSE takes no value; leave the value empty",
    ]);
  });

  it("reports every problem at once, with where it is", () => {
    const given = request(
      { ...typed, nope: "TEXT" },
      {
        positiveOutcome: rule(
          [condition("amount", "EQUAL", "x")],
          [condition("note", "UNSPECIFIED", "x")],
        ),
        negativeOutcome: rule([condition("paid", "IS_TRUE", "1")]),
      },
    );
    expect(problems(given).map((problem) => problem.split(":")[0])).toEqual([
      'the definition names column "nope", not in the header; the columns are "case", "activity", "timestamp", "user", "amount", "paid", "note", "kind", "due"'.split(
        ":",
      )[0],
      "both positive_outcome and negative_outcome are given",
      "positive_outcome group 1 condition 1",
      "positive_outcome group 2 condition 1",
      "negative_outcome group 1 condition 1",
    ]);
    const resolved = resolveDefinition(header, given);
    expect(resolved.ok).toBe(false);
    if (!resolved.ok) expect(resolved.problems).toHaveLength(5);
  });
});
