/**
 * The columns and cells of the normalized sets: column names, canonical cells, CSV quoting, and
 * the error a bad cell gives. Every example runs in both modes and must give the same bytes.
 */
import { describe, expect, it } from "vitest";
import type { ColumnDefinition } from "../../../../src/domain/event-log/index.js";
import { condition, rule } from "../../../helpers/event-log.js";
import { definitionOf, linesOf, normalizeFailing } from "./helpers.js";
import { log, normalizeBoth } from "./normalize-both.js";

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
