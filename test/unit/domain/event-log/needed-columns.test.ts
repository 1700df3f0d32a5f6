import { describe, expect, it } from "vitest";
import {
  notApplicableDetail,
  type TrainingSetSummary,
  unmetNeeds,
} from "../../../../src/domain/event-log/needed-columns.js";

const basic = ["CASE_ID", "ACTIVITY", "TIMESTAMP"];
const summary = (columns: string[], rest: Partial<TrainingSetSummary> = {}) => ({
  columns,
  ...rest,
});

describe("unmetNeeds", () => {
  it("is empty when every need is in the training set", () => {
    const set = summary([...basic, "RESOURCE", "OUTCOME", "TREATMENT"], {
      outcome: { zeros: 3, ones: 1 },
      treatment: { zeros: 1, ones: 1 },
    });
    expect(
      unmetNeeds(["CASE_ID", "ACTIVITY", "TIMESTAMP", "RESOURCE", "OUTCOME", "TREATMENT"], set),
    ).toEqual([]);
    expect(unmetNeeds([], set)).toEqual([]);
    expect(notApplicableDetail(["OUTCOME"], set)).toBeUndefined();
  });

  it("says how to define each missing role", () => {
    expect(
      unmetNeeds(
        [
          "OUTCOME",
          "TREATMENT",
          "RESOURCE",
          "START_TIMESTAMP",
          "END_TIMESTAMP",
          "COST",
          "DURATION",
          "TRANSITION",
          "COMPLETE_INDICATOR",
        ],
        summary(basic),
      ),
    ).toEqual([
      "needs OUTCOME: define positive_outcome or negative_outcome, or an OUTCOME column",
      "needs TREATMENT: define a treatment rule, or a TREATMENT column",
      "needs RESOURCE: define the column of who performed each event as RESOURCE",
      "needs START_TIMESTAMP: define the column of when events start as START_TIMESTAMP",
      "needs END_TIMESTAMP: define the column of when events end as END_TIMESTAMP",
      "needs COST: define a column as COST",
      "needs DURATION: define a column as DURATION",
      "needs TRANSITION: define a column as TRANSITION",
      "needs COMPLETE_INDICATOR: define a column as COMPLETE_INDICATOR",
    ]);
    expect(
      unmetNeeds(
        ["TIMESTAMP"],
        summary(["CASE_ID", "ACTIVITY", "START_TIMESTAMP", "END_TIMESTAMP"]),
      ),
    ).toEqual(["needs TIMESTAMP: define a column as TIMESTAMP"]);
  });

  it("finds attribute types among the attribute columns", () => {
    const set = summary([
      ...basic,
      "CATEGORICAL_tier",
      "CASE_ATTRIBUTE_NUMBER_amount",
      "EVENT_ATTRIBUTE_BOOLEAN_vip",
    ]);
    expect(unmetNeeds(["CATEGORICAL", "NUMBER", "BOOLEAN"], set)).toEqual([]);
    expect(unmetNeeds(["TEXT", "DATETIME"], set)).toEqual([
      "needs a TEXT attribute: define a column as TEXT",
      "needs a DATETIME attribute: define a column as DATETIME",
    ]);
    expect(unmetNeeds(["CATEGORICAL"], summary(basic))).toEqual([
      "needs a CATEGORICAL attribute: define a column as CATEGORICAL",
    ]);
  });

  it("ignores UNSPECIFIED and IGNORED needs and repeated needs", () => {
    expect(unmetNeeds(["UNSPECIFIED", "IGNORED"], summary(basic))).toEqual([]);
    expect(unmetNeeds(["COST", "COST"], summary(basic))).toHaveLength(1);
  });

  it("needs both classes of a needed OUTCOME or TREATMENT", () => {
    const columns = [...basic, "OUTCOME", "TREATMENT"];
    expect(unmetNeeds(["OUTCOME"], summary(columns, { outcome: { zeros: 7, ones: 0 } }))).toEqual([
      "OUTCOME has only one class (all 0, 7 cases): change the outcome rule or column so that some cases get 1 and others 0",
    ]);
    expect(
      unmetNeeds(["TREATMENT"], summary(columns, { treatment: { zeros: 0, ones: 2 } })),
    ).toEqual([
      "TREATMENT has only one class (all 1, 2 cases): change the treatment rule or column so that some cases get 1 and others 0",
    ]);
    expect(unmetNeeds(["OUTCOME"], summary(columns, { outcome: { zeros: 0, ones: 0 } }))).toEqual([
      "OUTCOME has no value in any case: change the outcome rule or column so that every case gets 0 or 1",
    ]);
    expect(unmetNeeds(["OUTCOME"], summary(columns))).toHaveLength(1);
    expect(unmetNeeds(["ACTIVITY"], summary(columns, { outcome: { zeros: 1, ones: 0 } }))).toEqual(
      [],
    );
  });

  it("joins every unmet need into one detail", () => {
    expect(notApplicableDetail(["OUTCOME", "RESOURCE"], summary(basic))).toBe(
      "needs OUTCOME: define positive_outcome or negative_outcome, or an OUTCOME column; needs RESOURCE: define the column of who performed each event as RESOURCE",
    );
  });
});
