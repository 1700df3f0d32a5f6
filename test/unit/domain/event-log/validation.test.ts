import { describe, expect, it } from "vitest";
import type { RequestedColumnDefinition } from "../../../../src/domain/event-log/column-definition.js";
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

describe("validateDefinition: a valid definition", () => {
  it("has no problems and resolves to the effective definition", () => {
    const given = request(typed, {
      caseAttributes: ["note"],
      positiveOutcome: rule([condition("amount", "GREATER_THAN", "10")]),
      treatment: rule([
        condition("ACTIVITY", "EQUAL", "call"),
        condition("DURATION", "LESS_THAN", "2 days"),
      ]),
    });
    expect(problems(given)).toEqual([]);
    const resolved = resolveDefinition(header, given);
    expect(resolved.ok).toBe(true);
    if (resolved.ok) {
      expect(Object.fromEntries(resolved.definition.columns)).toEqual({
        case: "CASE_ID",
        activity: "ACTIVITY",
        timestamp: "TIMESTAMP",
        user: "RESOURCE",
        amount: "NUMBER",
        paid: "BOOLEAN",
        note: "TEXT",
        kind: "CATEGORICAL",
        due: "DATETIME",
      });
      expect(resolved.definition.caseAttributes).toEqual(["note"]);
    }
  });

  it("accepts START and END timestamps instead of a TIMESTAMP", () => {
    expect(
      problems(request({ s: "START_TIMESTAMP", e: "END_TIMESTAMP" }), [
        "case",
        "activity",
        "s",
        "e",
      ]),
    ).toEqual([]);
  });

  it("accepts a case_id_column that agrees with the columns", () => {
    expect(problems(request({ ...typed, case: "CASE_ID" }), header, "case")).toEqual([]);
    expect(
      problems(request({ case: "TEXT" }), ["case", "id", "activity", "timestamp"], "id"),
    ).toEqual([]);
  });
});

describe("validateDefinition: every problem names the column and the fix", () => {
  it("refuses a log that is not an event log, listing the header and what was inferred", () => {
    expect(problems(request({}), ["id", "name", "timestamp"])).toEqual([
      'no CASE_ID column, so this is not an event log as defined: define one of "id", "name", "timestamp" as CASE_ID (inferred: "timestamp" as TIMESTAMP)',
      'no ACTIVITY column, so this is not an event log as defined: define one of "id", "name", "timestamp" as ACTIVITY (inferred: "timestamp" as TIMESTAMP)',
    ]);
  });

  it("refuses a log without any time", () => {
    expect(problems(request({}), ["case", "activity"])).toEqual([
      'no TIMESTAMP column: define one of "case", "activity" as TIMESTAMP, or one as START_TIMESTAMP and one as END_TIMESTAMP (inferred: "case" as CASE_ID, "activity" as ACTIVITY)',
    ]);
  });

  it("refuses a start without an end, and an end without a start", () => {
    expect(problems(request({ s: "START_TIMESTAMP" }), ["case", "activity", "s"])).toEqual([
      '"s" is START_TIMESTAMP but no column is END_TIMESTAMP: define the column of when events end as END_TIMESTAMP, or define "s" as TIMESTAMP',
    ]);
    expect(problems(request({ e: "END_TIMESTAMP" }), ["case", "activity", "e"])).toEqual([
      '"e" is END_TIMESTAMP but no column is START_TIMESTAMP: define the column of when events start as START_TIMESTAMP, or define "e" as TIMESTAMP',
    ]);
  });

  it("refuses two columns with one role (inference never gives a role twice)", () => {
    expect(problems(request({ ...typed, note: "ACTIVITY", kind: "RESOURCE" }))).toEqual([]);
    const twice = {
      activity: "ACTIVITY",
      note: "ACTIVITY",
      user: "RESOURCE",
      kind: "RESOURCE",
    } as const;
    expect(problems(request(twice))).toEqual([
      '2 columns are ACTIVITY ("activity", "note"): keep one and define the others as TEXT, another definition, or IGNORED',
      '2 columns are RESOURCE ("user", "kind"): keep one and define the others as TEXT, another definition, or IGNORED',
    ]);
  });

  it("refuses columns that are not in the header, and UNSPECIFIED", () => {
    expect(problems(request({ ...typed, Amount: "NUMBER", note: "UNSPECIFIED" }))).toEqual([
      'the definition names column "Amount", not in the header; the columns are "case", "activity", "timestamp", "user", "amount", "paid", "note", "kind", "due"',
      'column "note" is UNSPECIFIED, which is not a definition: define it as one of CASE_ID, ACTIVITY, TIMESTAMP, START_TIMESTAMP, END_TIMESTAMP, RESOURCE, DURATION, COST, OUTCOME, TREATMENT, TRANSITION, COMPLETE_INDICATOR, TEXT, NUMBER, BOOLEAN, DATETIME, CATEGORICAL, IGNORED, or leave it out to have it inferred',
    ]);
  });

  it("refuses a case_id_column that disagrees with the columns or is not in the header", () => {
    expect(problems(request({ ...typed, case: "TEXT" }), header, "case")).toContain(
      'case_id_column names "case" but the definition defines it as TEXT: drop case_id_column or define that column as CASE_ID',
    );
    expect(problems(request({ ...typed, note: "CASE_ID" }), header, "case")).toContain(
      'case_id_column names "case" but the definition defines "note" as CASE_ID: give only one of them',
    );
    expect(problems(request(), header, "nope")[0]).toBe(
      'case_id_column names "nope", not in the header; the columns are "case", "activity", "timestamp", "user", "amount", "paid", "note", "kind", "due"',
    );
  });

  it("refuses case attributes that are unknown, repeated or not plain attributes", () => {
    const given = request(typed, {
      caseAttributes: ["note", "Note", "note", "activity", "kind", "amount", "due", "paid"],
    });
    expect(problems(given)).toEqual([
      'case_attributes names "Note", not in the header; the columns are "case", "activity", "timestamp", "user", "amount", "paid", "note", "kind", "due"',
      'case_attributes lists "note" twice: list it once',
      'case attribute "activity" is ACTIVITY: only TEXT, NUMBER, BOOLEAN or DATETIME columns can be case attributes; remove it from case_attributes or define it as one of those',
      'case attribute "kind" is CATEGORICAL: only TEXT, NUMBER, BOOLEAN or DATETIME columns can be case attributes; remove it from case_attributes or define it as one of those',
    ]);
  });

  it("refuses both outcome rules, and a rule beside a label column", () => {
    const one = rule([condition("amount", "GREATER_THAN", "1")]);
    expect(problems(request(typed, { positiveOutcome: one, negativeOutcome: one }))).toEqual([
      "both positive_outcome and negative_outcome are given: keep one (negative_outcome is the inverse: a matching case gets OUTCOME 0)",
    ]);
    expect(
      problems(
        request(
          { ...typed, paid: "OUTCOME", note: "TREATMENT" },
          { negativeOutcome: one, treatment: one },
        ),
      ),
    ).toEqual([
      '"paid" is the OUTCOME column and an outcome rule is given too: drop the rule, or define "paid" as BOOLEAN or IGNORED',
      '"note" is the TREATMENT column and a treatment rule is given too: drop the rule, or define "note" as BOOLEAN or IGNORED',
    ]);
    expect(problems(request(typed, { positiveOutcome: rule(), negativeOutcome: one }))).toEqual([]);
  });
});
