/**
 * The normalized training and holdout sets, through the CSV reader: column names, canonical
 * cells, each case's events together and in time order, labels on every row, bad cells.
 * Every example runs in both modes (stream, and grouped on disk) and must give the same bytes.
 */
import { describe, expect, it } from "vitest";
import { type ColumnDefinition, unmetNeeds } from "../../../../src/domain/event-log/index.js";
import { condition, rule } from "../../../helpers/event-log.js";
import {
  definitionOf,
  linesOf,
  type NormalizeCsvOptions,
  type Normalized,
  normalizeCsv,
  normalizeFailing,
} from "./helpers.js";

type Definition = Parameters<typeof normalizeCsv>[1];

/** Normalizes in stream mode (falling back as needed) and grouped mode; asserts equal bytes. */
async function normalizeBoth(
  csv: string,
  definition: Definition = definitionOf(),
  options: NormalizeCsvOptions = {},
): Promise<Normalized> {
  const streamed = await normalizeCsv(csv, definition, options);
  const grouped = await normalizeCsv(csv, definition, { ...options, grouping: "always" });
  expect(grouped.training).toBe(streamed.training);
  expect(grouped.holdout).toBe(streamed.holdout);
  expect({ ...grouped.summary, grouped: false }).toEqual({ ...streamed.summary, grouped: false });
  return streamed;
}

const log = (...lines: string[]) => `${lines.join("\n")}\n`;

describe("order of the training set", () => {
  it("keeps each case's events together, in time order, cases by their first event", async () => {
    const csv = log(
      "case,activity,timestamp",
      "b,b2,2020-01-01T10:00:00Z",
      "a,a3,2020-01-01T12:00:00Z",
      "b,b1,2020-01-01T09:00:00Z",
      "a,a1,2020-01-01T08:00:00Z",
      "c,c1,2020-01-01T07:00:00Z",
      "a,a2,2020-01-01T11:00:00Z",
    );
    const { training, summary, opened, discarded } = await normalizeBoth(csv);
    expect(linesOf(training)).toEqual([
      "CASE_ID,ACTIVITY,TIMESTAMP",
      "b,b1,2020-01-01T09:00:00.000Z",
      "b,b2,2020-01-01T10:00:00.000Z",
      "a,a1,2020-01-01T08:00:00.000Z",
      "a,a2,2020-01-01T11:00:00.000Z",
      "a,a3,2020-01-01T12:00:00.000Z",
      "c,c1,2020-01-01T07:00:00.000Z",
    ]);
    expect(summary.grouped).toBe(true); // "b" came back at line 4
    expect([opened, discarded]).toEqual([2, 1]);
  });

  it("streams a log whose cases are contiguous, in one pass", async () => {
    const csv = log(
      "case,activity,timestamp",
      "a,x,2020-01-01T10:00:00Z",
      "a,y,2020-01-01T09:00:00Z",
      "b,z,2020-01-01T08:00:00Z",
    );
    const { training, summary, opened, discarded } = await normalizeBoth(csv);
    expect(linesOf(training).slice(1)).toEqual([
      "a,y,2020-01-01T09:00:00.000Z",
      "a,x,2020-01-01T10:00:00.000Z",
      "b,z,2020-01-01T08:00:00.000Z",
    ]);
    expect(summary.grouped).toBe(false);
    expect([opened, discarded]).toEqual([1, 0]);
  });

  it("keeps file order for equal times, also the same instant written with other offsets", async () => {
    const csv = log(
      "case,activity,timestamp",
      "a,first,2020-01-01T10:00:00+02:00",
      "a,second,2020-01-01 08:00:00",
      "a,third,2020-01-01T03:00:00-05:00",
      "a,earlier,2020-01-01T07:59:59.999Z",
    );
    const { training } = await normalizeBoth(csv);
    expect(linesOf(training).slice(1)).toEqual([
      "a,earlier,2020-01-01T07:59:59.999Z",
      "a,first,2020-01-01T08:00:00.000Z",
      "a,second,2020-01-01T08:00:00.000Z",
      "a,third,2020-01-01T08:00:00.000Z",
    ]);
  });

  it("puts events without a time after the others, in file order", async () => {
    const csv = log(
      "case,activity,timestamp",
      "a,none1,",
      "a,late,2020-01-02T00:00:00Z",
      "a,none2,  ",
      "a,early,2020-01-01T00:00:00Z",
    );
    const { training } = await normalizeBoth(csv);
    expect(linesOf(training).slice(1)).toEqual([
      "a,early,2020-01-01T00:00:00.000Z",
      "a,late,2020-01-02T00:00:00.000Z",
      "a,none1,",
      "a,none2,",
    ]);
  });

  it("orders interval logs by START_TIMESTAMP and writes both instants", async () => {
    const csv = log(
      "case,activity,start,end",
      "a,second,2020-01-01 10:00:00,2020-01-01 10:30:00",
      "a,first,2020-01-01 09:00:00,2020-01-01 11:00:00",
    );
    const definition = definitionOf({ start: "START_TIMESTAMP", end: "END_TIMESTAMP" });
    const { training } = await normalizeBoth(csv, definition);
    expect(linesOf(training)).toEqual([
      "CASE_ID,ACTIVITY,START_TIMESTAMP,END_TIMESTAMP",
      "a,first,2020-01-01T09:00:00.000Z,2020-01-01T11:00:00.000Z",
      "a,second,2020-01-01T10:00:00.000Z,2020-01-01T10:30:00.000Z",
    ]);
  });

  it("splits by case in first-seen order, the n-th case to holdout as CaseSplitter says", async () => {
    const rows = ["case,activity,timestamp"];
    for (let n = 1; n <= 10; n++) rows.push(`c${n},x,2020-01-01T00:00:0${n % 10}Z`);
    rows.push("c1,y,2020-01-02T00:00:00Z"); // c1 comes back: grouped
    const { training, holdout, summary } = await normalizeBoth(log(...rows), definitionOf(), {
      holdoutFraction: 0.3,
    });
    const casesOf = (csv: string) => [
      ...new Set(
        linesOf(csv)
          .slice(1)
          .map((l) => l.split(",")[0]),
      ),
    ];
    // floor(n * 0.3) grows at n = 4, 7, 10.
    expect(casesOf(holdout)).toEqual(["c4", "c7", "c10"]);
    expect(casesOf(training)).toEqual(["c1", "c2", "c3", "c5", "c6", "c8", "c9"]);
    expect(summary).toMatchObject({
      rows: 11,
      trainingRows: 8,
      holdoutRows: 3,
      cases: 10,
      trainingCases: 7,
      holdoutCases: 3,
    });
  });
});

describe("labels", () => {
  const csv = log(
    "case,activity,timestamp,resource",
    "a,submit,2020-01-01T08:00:00Z,ann",
    "a,approve,2020-01-01T09:00:00Z,bob",
    "b,submit,2020-01-01T08:00:00Z,cat",
    "b,reject,2020-01-01T09:00:00Z,dan",
  );

  it("puts the outcome of a positive rule on every row of the case", async () => {
    const definition = definitionOf(
      {},
      { positiveOutcome: rule([condition("ACTIVITY", "EQUAL", "approve")]) },
    );
    const { training, summary } = await normalizeBoth(csv, definition);
    expect(linesOf(training)).toEqual([
      "CASE_ID,ACTIVITY,TIMESTAMP,RESOURCE,OUTCOME",
      "a,submit,2020-01-01T08:00:00.000Z,ann,1",
      "a,approve,2020-01-01T09:00:00.000Z,bob,1",
      "b,submit,2020-01-01T08:00:00.000Z,cat,0",
      "b,reject,2020-01-01T09:00:00.000Z,dan,0",
    ]);
    expect(summary.positiveCases).toBe(1);
    expect(summary.trainingSet.outcome).toEqual({ zeros: 1, ones: 1 });
  });

  it("inverts a negative outcome rule", async () => {
    const definition = definitionOf(
      {},
      { negativeOutcome: rule([condition("ACTIVITY", "EQUAL", "reject")]) },
    );
    const { training } = await normalizeBoth(csv, definition);
    expect(linesOf(training).map((line) => line.split(",").at(-1))).toEqual([
      "OUTCOME",
      "1",
      "1",
      "0",
      "0",
    ]);
  });

  it("writes TREATMENT and the resource of the first treated event", async () => {
    const definition = definitionOf(
      {},
      {
        treatment: rule(
          [condition("ACTIVITY", "EQUAL", "approve")],
          [condition("RESOURCE", "EQUAL", "cat")],
        ),
      },
    );
    const { training, summary } = await normalizeBoth(
      log(
        "case,activity,timestamp,resource",
        "a,approve,2020-01-01T10:00:00Z,bob",
        "a,submit,2020-01-01T08:00:00Z,cat", // earlier: the first match in time order
        "b,submit,2020-01-01T08:00:00Z,ann",
      ),
      definition,
    );
    expect(linesOf(training)).toEqual([
      "CASE_ID,ACTIVITY,TIMESTAMP,RESOURCE,TREATMENT,TREATMENT_RESOURCE",
      "a,submit,2020-01-01T08:00:00.000Z,cat,1,cat",
      "a,approve,2020-01-01T10:00:00.000Z,bob,1,cat",
      "b,submit,2020-01-01T08:00:00.000Z,ann,0,",
    ]);
    expect(summary.treatedCases).toBe(1);
    expect(summary.trainingSet.treatment).toEqual({ zeros: 1, ones: 1 });
  });

  it("reads OUTCOME and TREATMENT columns of the file per case, from their first value", async () => {
    const definition = definitionOf({ won: "OUTCOME", given: "TREATMENT" });
    const { training, summary } = await normalizeBoth(
      log(
        "case,activity,timestamp,won,given",
        "a,x,2020-01-01T09:00:00Z,,no",
        "a,y,2020-01-01T08:00:00Z,yes,", // first in time: its OUTCOME counts
        "a,z,2020-01-01T10:00:00Z,false,true",
        "b,x,2020-01-01T08:00:00Z,0,",
      ),
      definition,
    );
    expect(linesOf(training)).toEqual([
      "CASE_ID,ACTIVITY,TIMESTAMP,OUTCOME,TREATMENT",
      "a,y,2020-01-01T08:00:00.000Z,1,0",
      "a,x,2020-01-01T09:00:00.000Z,1,0",
      "a,z,2020-01-01T10:00:00.000Z,1,0",
      "b,x,2020-01-01T08:00:00.000Z,0,",
    ]);
    expect(summary.trainingSet).toMatchObject({
      outcome: { zeros: 1, ones: 1 },
      treatment: { zeros: 1, ones: 0 }, // case b has no TREATMENT value
    });
  });

  it("counts the label classes of each set", async () => {
    const definition = definitionOf(
      {},
      { positiveOutcome: rule([condition("ACTIVITY", "EQUAL", "approve")]) },
    );
    const { summary } = await normalizeBoth(csv, definition, { holdoutFraction: 0.5 });
    expect(summary.trainingSet.outcome).toEqual({ zeros: 0, ones: 1 });
    expect(summary.holdoutSet.outcome).toEqual({ zeros: 1, ones: 0 });
    expect(summary.trainingSet.columns).toEqual(summary.columns);
  });
});

describe("what the summary tells plugins", () => {
  it("gives unmetNeeds the training set's columns and label classes", async () => {
    const csv = log(
      "case,activity,timestamp",
      "a,approve,2020-01-01T00:00:00Z",
      "b,reject,2020-01-01T00:00:00Z",
    );
    const approved = rule([condition("ACTIVITY", "EQUAL", "approve")]);
    const both = await normalizeBoth(csv, definitionOf({}, { positiveOutcome: approved }));
    expect(unmetNeeds(["OUTCOME", "ACTIVITY"], both.summary.trainingSet)).toEqual([]);
    expect(unmetNeeds(["TREATMENT"], both.summary.trainingSet)).toEqual([
      "needs TREATMENT: define a treatment rule, or a TREATMENT column",
    ]);
    const oneClass = await normalizeBoth(csv, definitionOf({}, { positiveOutcome: approved }), {
      holdoutFraction: 0.5, // case b goes to holdout: the training set has only OUTCOME 1
    });
    expect(unmetNeeds(["OUTCOME"], oneClass.summary.trainingSet)).toEqual([
      "OUTCOME has only one class (all 1, 1 cases): change the outcome rule or column so that " +
        "some cases get 1 and others 0",
    ]);
  });
});

describe("columns and cells", () => {
  it("drops IGNORED columns, which rules may still use", async () => {
    const definition = definitionOf(
      { secret: "IGNORED" },
      { positiveOutcome: rule([condition("secret", "EQUAL", "won")]) },
    );
    const { training } = await normalizeBoth(
      log("case,activity,timestamp,secret", "a,x,2020-01-01T00:00:00Z,won"),
      definition,
    );
    expect(linesOf(training)).toEqual([
      "CASE_ID,ACTIVITY,TIMESTAMP,OUTCOME",
      "a,x,2020-01-01T00:00:00.000Z,1",
    ]);
  });

  it("writes case and event attributes under their typed names, in canonical form", async () => {
    const definition = definitionOf(
      {
        opened: "DATETIME",
        amount: "NUMBER",
        urgent: "BOOLEAN",
        took: "DURATION",
        tier: "CATEGORICAL",
      },
      { caseAttributes: ["opened", "channel"] },
    );
    const { training } = await normalizeBoth(
      log(
        "case,activity,timestamp,opened,channel,amount,urgent,took,tier,note",
        'a,x,2020-01-01 00:00:00,2019-12-31T23:00:00-01:00,web, 12.50 ,YES,2 h,gold,"say ""hi"", ok"',
        "a,y,2020-01-02 00:00:00,2019-12-31T23:00:00-01:00,web,,no,90,silver,",
      ),
      definition,
    );
    expect(linesOf(training)).toEqual([
      "CASE_ID,ACTIVITY,TIMESTAMP,DURATION,CATEGORICAL_tier,CASE_ATTRIBUTE_DATETIME_opened," +
        "CASE_ATTRIBUTE_TEXT_channel,EVENT_ATTRIBUTE_NUMBER_amount," +
        "EVENT_ATTRIBUTE_BOOLEAN_urgent,EVENT_ATTRIBUTE_TEXT_note",
      'a,x,2020-01-01T00:00:00.000Z,7200,gold,2020-01-01T00:00:00.000Z,web,12.50,true,"say ""hi"", ok"',
      "a,y,2020-01-02T00:00:00.000Z,90,silver,2020-01-01T00:00:00.000Z,web,,false,",
    ]);
  });

  it("quotes text cells as CSV needs, never canonical ones", async () => {
    const { training } = await normalizeBoth(
      log("case,activity,timestamp", '"a,1","multi\nline",2020-01-01T00:00:00Z'),
    );
    expect(training).toBe(
      'CASE_ID,ACTIVITY,TIMESTAMP\n"a,1","multi\nline",2020-01-01T00:00:00.000Z\n',
    );
  });

  it("keeps cells that hold NUL or other control characters, in both modes", async () => {
    const { training, summary } = await normalizeBoth(
      log(
        "case,activity,timestamp,note",
        "a,x,2020-01-01T00:00:00Z,nul\0here",
        "b,y,2020-01-01T00:00:00Z,\u0001start",
        "a,z,2020-01-01T00:00:00Z,[not json",
      ),
    );
    expect(summary.grouped).toBe(true);
    expect(linesOf(training).slice(1)).toEqual([
      "a,x,2020-01-01T00:00:00.000Z,nul\0here",
      "a,z,2020-01-01T00:00:00.000Z,[not json",
      "b,y,2020-01-01T00:00:00.000Z,\u0001start",
    ]);
  });
});

describe("bad cells", () => {
  it("fails at the cell's physical line with the column and the value", async () => {
    const csv = log(
      "case,activity,timestamp",
      "a,x,2020-01-01T00:00:00Z",
      "",
      'a,"two',
      'lines",2020-01-02T00:00:00Z',
      "b,y,yesterday",
    );
    for (const grouping of ["when-interleaved", "always"] as const) {
      const error = await normalizeFailing(csv, definitionOf(), { grouping });
      expect(error.message).toBe(
        'line 6: column timestamp: cannot read "yesterday" as a timestamp',
      );
      expect(error.line).toBe(6);
      expect(`dataset: ${error.message}`).toBe(
        'dataset: line 6: column timestamp: cannot read "yesterday" as a timestamp',
      );
    }
  });

  it("checks typed columns that are not written too, and names each type", async () => {
    const cases: [string, ColumnDefinition, string][] = [
      ["won", "OUTCOME", 'column won: cannot read "maybe" as a boolean'],
      ["amount", "NUMBER", 'column amount: cannot read "maybe" as a number'],
      ["took", "DURATION", 'column took: cannot read "maybe" as a duration'],
      ["seen", "DATETIME", 'column seen: cannot read "maybe" as a timestamp'],
    ];
    for (const [column, definition, message] of cases) {
      const csv = log(`case,activity,timestamp,${column}`, "a,x,2020-01-01T00:00:00Z,maybe");
      const error = await normalizeFailing(csv, definitionOf({ [column]: definition }));
      expect(error.message).toBe(`line 2: ${message}`);
    }
  });

  it("reports the first bad cell of the file, even in a case written later", async () => {
    const csv = log(
      "case,activity,timestamp,amount",
      "a,x,2020-01-01T00:00:00Z,1",
      "b,x,2020-01-01T00:00:00Z,one",
      "a,y,2020-01-01T00:00:00Z,two",
    );
    const error = await normalizeFailing(csv, definitionOf({ amount: "NUMBER" }));
    expect(error.message).toBe('line 3: column amount: cannot read "one" as a number');
  });

  it("refuses an empty case id, and a definition that does not fit the header", async () => {
    const empty = await normalizeFailing(
      log("case,activity,timestamp", "a,x,2020-01-01T00:00:00Z", " ,y,2020-01-01T00:00:00Z"),
      definitionOf(),
    );
    expect(empty.message).toBe(
      'line 3: empty case id in column "case" (excerpt: " ,y,2020-01-01T00:00:00Z")',
    );
    const misfit = await normalizeFailing(
      log("case,activity,timestamp", "a,x,2020-01-01T00:00:00Z"),
      definitionOf({ missing: "NUMBER" }),
    );
    expect(misfit.line).toBe(1);
    expect(misfit.message).toMatch(
      /^line 1: the project's definition does not fit this log: the definition names column "missing", not in the header/,
    );
  });
});
