/**
 * The labels of the normalized sets (OUTCOME, TREATMENT) on every row of a case, and what the
 * summary tells plugins of them. Every example runs in both modes and must give the same bytes.
 */
import { describe, expect, it } from "vitest";
import { unmetNeeds } from "../../../../src/domain/event-log/index.js";
import { condition, rule } from "../../../helpers/event-log.js";
import { definitionOf, linesOf } from "./helpers.js";
import { log, normalizeBoth } from "./normalize-both.js";

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
