import { expect, it } from "vitest";
import { jobJson, jobLine, resultsTable, servingKeys } from "../../../src/cli/job-format.js";
import {
  JobPluginStatus,
  JobStatus,
  type PrescriptionJob,
} from "../../../src/gen/trainingcore/v1/prescription_service.js";

const job: PrescriptionJob = {
  jobId: "job_1",
  projectId: 7,
  status: JobStatus.JOB_STATUS_RUNNING,
  error: "",
  cases: 3,
  plugins: [
    {
      pluginId: 1,
      key: "alarm",
      status: JobPluginStatus.JOB_PLUGIN_STATUS_DONE,
      casesDone: 3,
      detail: "",
    },
    {
      pluginId: 2,
      key: "next",
      status: JobPluginStatus.JOB_PLUGIN_STATUS_RUNNING,
      casesDone: 1,
      detail: "",
    },
    {
      pluginId: 3,
      key: "quiet",
      status: JobPluginStatus.JOB_PLUGIN_STATUS_NOT_SERVING,
      casesDone: 0,
      detail: "does not prescribe",
    },
  ],
  createdAt: new Date("2024-05-01T10:00:00Z"),
  finishedAt: undefined,
  requestId: "",
};

it("shows the job's progress per plugin on one line", () => {
  expect(jobLine(job)).toBe(
    "job_1 RUNNING, 3 cases: alarm DONE 3/3, next RUNNING 1/3, quiet NOT_SERVING",
  );
});

it("tables cases × serving plugins: outputs, — with why, blank while to come", () => {
  const model = {};
  expect(servingKeys(job)).toEqual(["alarm", "next"]);
  expect(
    resultsTable(servingKeys(job), [
      {
        caseId: "c1",
        prescriptions: {
          alarm: { type: "ALARM", output: 0.5, detail: "", model },
          next: { type: "NEXT_ACTIVITY", output: "pay", detail: "", model },
        },
      },
      {
        caseId: "c2",
        prescriptions: { alarm: { type: "", output: null, detail: "no prescription", model } },
      },
      {
        caseId: "c3",
        prescriptions: { alarm: { type: "", output: { a: [1] }, detail: "", model } },
      },
    ]).split("\n"),
  ).toEqual([
    "CASE  alarm              next",
    "c1    0.5                pay",
    "c2    — no prescription",
    'c3    {"a":[1]}',
  ]);
});

it("gives scripts full enum names and ISO times", () => {
  expect(jobJson(job)).toMatchObject({
    status: "JOB_STATUS_RUNNING",
    plugins: [
      { status: "JOB_PLUGIN_STATUS_DONE" },
      {},
      { status: "JOB_PLUGIN_STATUS_NOT_SERVING" },
    ],
    createdAt: "2024-05-01T10:00:00.000Z",
    finishedAt: null,
  });
});
