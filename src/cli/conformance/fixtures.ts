/** What the kit offers a plugin: a normalized training set with an outcome, running cases. */
import { type EventLogDefinition, Operator } from "../../gen/trainingcore/v1/definition.js";
import type {
  PrescriptionRequest,
  TrainingData,
} from "../../gen/trainingcore/v1/plugin_service.js";

export const trainingSetName = "conformance-training-set";
export const runningCasesName = "conformance-running-cases";
export const projectId = 1;
export const pluginId = 1;

function iso(day: number, hour: number): string {
  return new Date(Date.UTC(2024, 0, 1 + day, hour)).toISOString();
}

/** 40 cases in the fixed column names; a case that escalates has OUTCOME 0 (negative). */
export function trainingSet(): Buffer {
  const lines = ["CASE_ID,ACTIVITY,TIMESTAMP,RESOURCE,OUTCOME"];
  for (let i = 0; i < 40; i++) {
    const escalates = i % 3 === 1;
    const activities = ["register", escalates ? "escalate" : "check", "close"];
    activities.forEach((activity, j) => {
      lines.push(
        `case-${i},${activity},${iso(i, j * (escalates ? 5 : 1))},ann,${escalates ? 0 : 1}`,
      );
    });
  }
  return Buffer.from(`${lines.join("\n")}\n`);
}

/** Three running cases (1, 2 and 1 events), as PrescribeDataset prepares them. */
export const runningCaseIds = ["run-1", "run-2", "run-3"];
export function runningCases(): Buffer {
  const lines = [
    "CASE_ID,ACTIVITY,TIMESTAMP,RESOURCE",
    `run-1,register,${iso(100, 0)},ann`,
    `run-2,register,${iso(101, 0)},ann`,
    `run-2,check,${iso(101, 1)},bob`,
    `run-3,register,${iso(102, 0)},ann`,
  ];
  return Buffer.from(`${lines.join("\n")}\n`);
}

export const definition: EventLogDefinition = {
  columns: {},
  caseAttributes: [],
  positiveOutcome: undefined,
  negativeOutcome: {
    anyOf: [
      {
        conditions: [{ column: "ACTIVITY", operator: Operator.OPERATOR_EQUAL, value: "escalate" }],
      },
    ],
  },
  treatment: undefined,
};

export function trainingData(): TrainingData {
  return {
    projectId,
    pluginId,
    trainingDfName: trainingSetName,
    additionalInfo: {},
    parameters: {},
    definition,
  };
}

export function prescriptionRequest(modelName: string): PrescriptionRequest {
  return {
    requestId: "conformance-request-1",
    projectId,
    pluginId,
    modelName,
    input: { $case: "datasetName", value: runningCasesName },
    parameters: {},
    additionalInfo: {},
    definition,
  };
}

/** A live request: one running case, `events` of it so far (as the CSV's rows, strings). */
export function casePrefixRequest(
  modelName: string,
  requestId: string,
  caseId: string,
  activities: readonly string[],
): PrescriptionRequest {
  const events = activities.map((activity, i) => ({
    CASE_ID: caseId,
    ACTIVITY: activity,
    TIMESTAMP: iso(110, i),
    RESOURCE: "ann",
  }));
  return {
    ...prescriptionRequest(modelName),
    requestId,
    input: { $case: "casePrefix", value: { caseId, events } },
  };
}
