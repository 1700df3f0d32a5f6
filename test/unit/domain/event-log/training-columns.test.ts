import { describe, expect, it } from "vitest";
import type { CaseLabels } from "../../../../src/domain/event-log/labels.js";
import {
  CellValueError,
  trainingColumns,
} from "../../../../src/domain/event-log/training-columns.js";
import { type Columns, condition, effective, rule } from "../../../helpers/event-log.js";

const namesOf = (columns: Columns, rules: Parameters<typeof effective>[1] = {}) =>
  trainingColumns(Object.keys(columns), effective(columns, rules)).map((column) => column.name);

/** The training row written for input cells by column name. */
function rowOf(
  columns: Columns,
  cells: Record<string, string>,
  labels: CaseLabels = {},
  rules = {},
) {
  const header = Object.keys(columns);
  const row = header.map((name) => cells[name] ?? "");
  const output = trainingColumns(header, effective(columns, rules));
  return Object.fromEntries(output.map((column) => [column.name, column.cell(row, labels)]));
}

const any = rule([condition("a", "EQUAL", "x")]);

describe("training-set column names and order", () => {
  it("puts the fixed columns first, whatever the header order", () => {
    expect(namesOf({ t: "TIMESTAMP", a: "ACTIVITY", c: "CASE_ID" })).toEqual([
      "CASE_ID",
      "ACTIVITY",
      "TIMESTAMP",
    ]);
  });

  it("lists every present role in its place", () => {
    const columns: Columns = {
      done: "COMPLETE_INDICATOR",
      price: "COST",
      took: "DURATION",
      life: "TRANSITION",
      who: "RESOURCE",
      e: "END_TIMESTAMP",
      s: "START_TIMESTAMP",
      t: "TIMESTAMP",
      a: "ACTIVITY",
      c: "CASE_ID",
      ok: "OUTCOME",
      treated: "TREATMENT",
    };
    expect(namesOf(columns)).toEqual([
      "CASE_ID",
      "ACTIVITY",
      "TIMESTAMP",
      "START_TIMESTAMP",
      "END_TIMESTAMP",
      "RESOURCE",
      "TRANSITION",
      "DURATION",
      "COST",
      "OUTCOME",
      "TREATMENT",
      "COMPLETE_INDICATOR",
    ]);
  });

  it("adds OUTCOME, TREATMENT and TREATMENT_RESOURCE for rules", () => {
    const base: Columns = { c: "CASE_ID", a: "ACTIVITY", s: "START_TIMESTAMP", e: "END_TIMESTAMP" };
    expect(namesOf(base, { negativeOutcome: any, treatment: any })).toEqual([
      "CASE_ID",
      "ACTIVITY",
      "START_TIMESTAMP",
      "END_TIMESTAMP",
      "OUTCOME",
      "TREATMENT",
    ]);
    expect(namesOf({ ...base, who: "RESOURCE" }, { positiveOutcome: any, treatment: any })).toEqual(
      [
        "CASE_ID",
        "ACTIVITY",
        "START_TIMESTAMP",
        "END_TIMESTAMP",
        "RESOURCE",
        "OUTCOME",
        "TREATMENT",
        "TREATMENT_RESOURCE",
      ],
    );
    expect(namesOf({ ...base, who: "RESOURCE", treated: "TREATMENT" })).not.toContain(
      "TREATMENT_RESOURCE",
    );
    expect(namesOf(base, { positiveOutcome: rule(), treatment: rule() })).not.toContain("OUTCOME");
  });

  it("names the other columns by kind, categorical first, then case and event attributes", () => {
    const columns: Columns = {
      region: "TEXT",
      c: "CASE_ID",
      amount: "NUMBER",
      tier: "CATEGORICAL",
      a: "ACTIVITY",
      vip: "BOOLEAN",
      opened: "DATETIME",
      secret: "IGNORED",
      t: "TIMESTAMP",
      color: "CATEGORICAL",
      comment: "TEXT",
    };
    const output = trainingColumns(
      Object.keys(columns),
      effective(columns, { caseAttributes: ["opened", "region", "vip"] }),
    );
    expect(output.map((column) => [column.name, column.source])).toEqual([
      ["CASE_ID", "c"],
      ["ACTIVITY", "a"],
      ["TIMESTAMP", "t"],
      ["CATEGORICAL_tier", "tier"],
      ["CATEGORICAL_color", "color"],
      ["CASE_ATTRIBUTE_TEXT_region", "region"],
      ["CASE_ATTRIBUTE_BOOLEAN_vip", "vip"],
      ["CASE_ATTRIBUTE_DATETIME_opened", "opened"],
      ["EVENT_ATTRIBUTE_NUMBER_amount", "amount"],
      ["EVENT_ATTRIBUTE_TEXT_comment", "comment"],
    ]);
  });

  it("marks columns made from labels as having no source", () => {
    const output = trainingColumns(["c"], effective({ c: "CASE_ID" }, { positiveOutcome: any }));
    expect(output.map((column) => [column.name, column.source])).toEqual([
      ["CASE_ID", "c"],
      ["OUTCOME", undefined],
    ]);
  });
});

describe("training-set cells", () => {
  const columns: Columns = {
    c: "CASE_ID",
    a: "ACTIVITY",
    t: "TIMESTAMP",
    who: "RESOURCE",
    took: "DURATION",
    price: "COST",
    done: "COMPLETE_INDICATOR",
    amount: "NUMBER",
    vip: "BOOLEAN",
    opened: "DATETIME",
    tier: "CATEGORICAL",
    note: "TEXT",
  };

  it("writes each type the way the training set holds it", () => {
    const cells = {
      c: "case 1",
      a: " Approve ",
      t: "2011-10-11 13:45:40.276000+02:00",
      who: "Resource21",
      took: "1.5 h",
      price: " 1e3 ",
      done: "YES",
      amount: "-3.50",
      vip: "0",
      opened: "2011-10-11",
      tier: "Gold",
      note: 'say "hi", ok',
    };
    expect(rowOf(columns, cells)).toEqual({
      CASE_ID: "case 1",
      ACTIVITY: " Approve ",
      TIMESTAMP: "2011-10-11T11:45:40.276Z",
      RESOURCE: "Resource21",
      DURATION: "5400",
      COST: "1e3",
      COMPLETE_INDICATOR: "true",
      EVENT_ATTRIBUTE_NUMBER_amount: "-3.50",
      EVENT_ATTRIBUTE_BOOLEAN_vip: "false",
      EVENT_ATTRIBUTE_DATETIME_opened: "2011-10-11T00:00:00.000Z",
      CATEGORICAL_tier: "Gold",
      EVENT_ATTRIBUTE_TEXT_note: 'say "hi", ok',
    });
  });

  it("writes missing values as empty cells", () => {
    const row = rowOf(columns, { c: "c", a: "a" });
    expect(Object.values(row).slice(2)).toEqual(Array(10).fill(""));
  });

  it("writes labels as 0 and 1 and the treatment resource, empty when absent", () => {
    const base: Columns = { c: "CASE_ID", who: "RESOURCE" };
    const rules = { positiveOutcome: any, treatment: any };
    expect(rowOf(base, { c: "c", who: "ann" }, { outcome: 1, treatment: 0 }, rules)).toEqual({
      CASE_ID: "c",
      RESOURCE: "ann",
      OUTCOME: "1",
      TREATMENT: "0",
      TREATMENT_RESOURCE: "",
    });
    expect(
      rowOf(base, { c: "c" }, { outcome: 0, treatment: 1, treatmentResource: "bob" }, rules),
    ).toMatchObject({
      OUTCOME: "0",
      TREATMENT: "1",
      TREATMENT_RESOURCE: "bob",
    });
    expect(rowOf(base, { c: "c" }, {}, rules)).toMatchObject({ OUTCOME: "", TREATMENT: "" });
  });

  it("writes OUTCOME and TREATMENT columns of the file from the case's labels", () => {
    const withLabels: Columns = { c: "CASE_ID", ok: "OUTCOME", treated: "TREATMENT" };
    expect(
      rowOf(withLabels, { c: "c", ok: "", treated: "no" }, { outcome: 1, treatment: 1 }),
    ).toEqual({
      CASE_ID: "c",
      OUTCOME: "1",
      TREATMENT: "1",
    });
  });

  it.each([
    ["t", "yesterday", "timestamp"],
    ["opened", "1", "timestamp"],
    ["took", "2 months", "duration"],
    ["price", "1,5", "number"],
    ["amount", "abc", "number"],
    ["vip", "maybe", "boolean"],
    ["done", "2", "boolean"],
  ] as const)("refuses %s %j with the column, the value and the type", (column, value, type) => {
    const attempt = () => rowOf(columns, { c: "c", a: "a", [column]: value });
    expect(attempt).toThrow(CellValueError);
    expect(attempt).toThrow(`column ${column}: cannot read ${JSON.stringify(value)} as a ${type}`);
    try {
      attempt();
    } catch (error) {
      expect(error).toMatchObject({ column, value, type });
    }
  });
});
