import { expect, it } from "vitest";
import { runningCasesDefinition } from "../../../../src/app/prescriptions/jobs/running-cases-definition.js";
import { AppError } from "../../../../src/domain/errors.js";
import {
  definitionToJson,
  type EffectiveDefinition,
} from "../../../../src/domain/event-log/index.js";

const rule = {
  anyOf: [{ conditions: [{ column: "ACTIVITY", operator: "EQUAL" as const, value: "x" }] }],
};
const effective: EffectiveDefinition = {
  columns: new Map([
    ["case", "CASE_ID"],
    ["activity", "ACTIVITY"],
    ["time", "TIMESTAMP"],
    ["who", "RESOURCE"],
    ["result", "OUTCOME"],
    ["region", "TEXT"],
  ]),
  caseAttributes: ["region"],
  positiveOutcome: rule,
  treatment: rule,
};
const json = definitionToJson(effective);

it("drops the labels: no rules, and an OUTCOME column ignored when the file has it", () => {
  const withLabel = runningCasesDefinition(json, [
    "case",
    "activity",
    "time",
    "who",
    "result",
    "region",
  ]);
  expect(withLabel.columns.get("result")).toBe("IGNORED");
  expect(withLabel.positiveOutcome).toBeUndefined();
  expect(withLabel.treatment).toBeUndefined();
  expect(withLabel.caseAttributes).toEqual(["region"]);
  const without = runningCasesDefinition(json, ["region", "time", "who", "activity", "case"]);
  expect([...without.columns]).toEqual([
    ["region", "TEXT"],
    ["time", "TIMESTAMP"],
    ["who", "RESOURCE"],
    ["activity", "ACTIVITY"],
    ["case", "CASE_ID"],
  ]);
});

it("names every missing column, the case, activity and time first", () => {
  const call = () => runningCasesDefinition(json, ["region", "who", "extra"]);
  expect(call).toThrow(AppError);
  expect(call).toThrow(
    'the dataset lacks columns of the project\'s event log: "case" (CASE_ID), "activity" (ACTIVITY), "time" (TIMESTAMP); its columns are "region", "who", "extra"',
  );
  expect(() => runningCasesDefinition(json, ["case", "activity", "time", "region"])).toThrow(
    'the dataset lacks a column of the project\'s event log: "who" (RESOURCE)',
  );
});
