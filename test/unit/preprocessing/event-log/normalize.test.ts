/**
 * The normalized training and holdout sets, through the CSV reader: each case's events together
 * and in time order, and the split into training and holdout by case.
 * Every example runs in both modes (stream, and grouped on disk) and must give the same bytes.
 */
import { describe, expect, it } from "vitest";
import { definitionOf, linesOf } from "./helpers.js";
import { log, normalizeBoth } from "./normalize-both.js";

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
