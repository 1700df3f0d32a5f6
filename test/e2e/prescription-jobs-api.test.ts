// PrescriptionService's checks and bookkeeping through the real server: what PrescribeDataset
// refuses at once (and why), a repeated request_id, pages of results and of jobs, deleting a job
// (idempotent; its own blobs go, an upload stays), and watches that end with NOT_FOUND.
import { status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import {
  type DeletePrescriptionJobResponse,
  JobStatus,
  type ListPrescriptionJobsResponse,
  type ListPrescriptionsResponse,
} from "../../src/gen/trainingcore/v1/prescription_service.js";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { storedBlobParts } from "../helpers/blobs.js";
import { describeEachDialect } from "../helpers/databases.js";
import { upload } from "../helpers/datasets.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import {
  answerRequest,
  call,
  getJob,
  jobsClient,
  listAllPrescriptions,
  prescribe,
  runningLog,
  trainedProject,
  watchJob,
} from "../helpers/prescription-jobs.js";
import { createProject, failureOf, getProject, tinyCsv, watchToEnd } from "../helpers/projects.js";

const maxDatasetBytes = 4096;

describeEachDialect("PrescriptionService", (dialect) => {
  const env = freshCorePerTest(dialect, { maxDatasetBytes });

  it("refuses an unknown project, no dataset or two, an unknown upload, missing columns, a big file", async () => {
    const { projectId, jobs } = await trainedProject(env, { prescribing: ["alarm"] });
    const datasetCsv = Buffer.from(runningLog);
    expect(await failureOf(prescribe(jobs, { projectId: 999, datasetCsv }))).toEqual({
      code: status.NOT_FOUND,
      details: "project 999 does not exist",
    });
    expect(await failureOf(prescribe(jobs, { projectId }))).toEqual({
      code: status.INVALID_ARGUMENT,
      details: "a dataset is required: dataset_csv (inline) or dataset_id (from UploadDataset)",
    });
    expect(
      await failureOf(prescribe(jobs, { projectId, datasetCsv, datasetId: "ds_x" })),
    ).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining("only one"),
    });
    expect(
      await failureOf(prescribe(jobs, { projectId, datasetId: `ds_${"0".repeat(24)}` })),
    ).toMatchObject({ code: status.NOT_FOUND });
    expect(
      await failureOf(
        prescribe(jobs, { projectId, datasetCsv: Buffer.from("case,activity\nc1,a\n") }),
      ),
    ).toEqual({
      code: status.INVALID_ARGUMENT,
      details:
        'the dataset lacks columns of the project\'s event log: "timestamp" (TIMESTAMP), "who" (RESOURCE); its columns are "case", "activity"',
    });
    expect(
      await failureOf(prescribe(jobs, { projectId, datasetCsv: Buffer.from("x,who\n1,ann\n") })),
    ).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining(
        '"case" (CASE_ID), "activity" (ACTIVITY), "timestamp" (TIMESTAMP);',
      ),
    });
    const big = Buffer.from(`${runningLog}${"c9,a,2024-01-01T00:00:00Z,ann\n".repeat(200)}`);
    expect(await failureOf(prescribe(jobs, { projectId, datasetCsv: big }))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining("CORE_MAX_DATASET_BYTES"),
    });
    // An upload of the same file is taken.
    const uploaded = await upload(env.core.datasets, big);
    const job = await prescribe(jobs, { projectId, datasetId: uploaded.datasetId });
    expect(job.status).toBe(JobStatus.JOB_STATUS_PREPARING);
  });

  it("refuses a project that is not TRAINED, has no definition, or no plugin that prescribes", async () => {
    const jobs = jobsClient(env);
    const datasetCsv = Buffer.from(runningLog);
    // Not trained yet: its plugin got TrainingData and said nothing.
    const pending = await env.connect("slow", { prescribes: true });
    const training = await createProject(env.core.projects, {
      datasetCsv,
      pluginKeys: ["slow"],
      definition: {
        columns: {},
        caseAttributes: [],
        positiveOutcome: undefined,
        negativeOutcome: undefined,
        treatment: undefined,
      },
    });
    await pending.trainingData.next();
    const status_ = ProjectStatus[(await getProject(env.core.projects, training.id)).status];
    expect(await failureOf(prescribe(jobs, { projectId: training.id, datasetCsv }))).toEqual({
      code: status.FAILED_PRECONDITION,
      details: `project ${training.id} is ${status_.replace("PROJECT_STATUS_", "")}; prescriptions need a TRAINED project`,
    });

    // TRAINED without a definition (a plain CSV project).
    const legacy = await createProject(env.core.projects, {
      datasetCsv: Buffer.from(tinyCsv),
      pluginKeys: ["slow"],
    });
    await pending.train(await pending.trainingData.next());
    await watchToEnd(env.core.projects, legacy.id);
    expect(
      await failureOf(prescribe(jobs, { projectId: legacy.id, datasetCsv: Buffer.from(tinyCsv) })),
    ).toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringContaining("create the project with a definition"),
    });

    // TRAINED, but its only plugin does not prescribe.
    const quiet = await trainedProject(env, { prescribing: [], other: ["quiet"] });
    expect(await failureOf(prescribe(jobs, { projectId: quiet.projectId, datasetCsv }))).toEqual({
      code: status.FAILED_PRECONDITION,
      details: `no TRAINED plugin of project ${quiet.projectId} answers prescription requests: quiet is TRAINED, and none sets OnlineReport.prescribes`,
    });
  });

  it("returns the same job for a repeated request_id", async () => {
    const { projectId, jobs } = await trainedProject(env, { prescribing: ["alarm"] });
    const datasetCsv = Buffer.from(runningLog);
    const first = await prescribe(jobs, { projectId, datasetCsv, requestId: "r-1" });
    await env.core.core.preparationIdle();
    const again = await prescribe(jobs, { projectId, datasetCsv, requestId: "r-1" });
    expect(again.jobId).toBe(first.jobId);
    expect(again).toMatchObject({ requestId: "r-1", status: JobStatus.JOB_STATUS_RUNNING });
    const other = await prescribe(jobs, { projectId, datasetCsv, requestId: "r-2" });
    expect(other.jobId).not.toBe(first.jobId);
    expect(await env.core.core.store.db("prescription_jobs").count({ n: "*" })).toEqual([{ n: 2 }]);
  });

  it("pages results in the dataset's order and jobs newest first", async () => {
    const { projectId, jobs } = await trainedProject(env, { prescribing: ["alarm"] });
    const rows = Array.from(
      { length: 25 },
      (_, i) => `k${String(i).padStart(2, "0")},a,2024-01-01T00:00:00Z,ann`,
    );
    const datasetCsv = Buffer.from(
      ["case,activity,timestamp,who", ...rows.reverse(), ""].join("\n"),
    );
    const job = await prescribe(jobs, { projectId, datasetCsv });
    await env.core.core.preparationIdle();
    const db = env.core.core.store.db;
    await answerRequest(
      db,
      job.jobId,
      "alarm",
      "DONE",
      Array.from({ length: 25 }, (_, i) => ({
        caseId: `k${String(i).padStart(2, "0")}`,
        output: i,
      })),
    );
    const { pages } = await listAllPrescriptions(jobs, job.jobId, 10);
    expect(pages.map((page) => page.cases.length)).toEqual([10, 10, 5]);
    const cases = pages.flatMap((page) => page.cases);
    expect(cases.map((c) => c.caseId)).toEqual(
      Array.from({ length: 25 }, (_, i) => `k${String(24 - i).padStart(2, "0")}`),
    );
    expect(cases.map((c) => c.prescriptions.alarm?.output)).toEqual(
      Array.from({ length: 25 }, (_, i) => 24 - i),
    );
    expect((await listAllPrescriptions(jobs, job.jobId)).pages).toHaveLength(1);
    expect(
      await failureOf(
        call<ListPrescriptionsResponse>((done) =>
          jobs.listPrescriptions({ jobId: job.jobId, pageSize: 1, pageToken: "nonsense" }, done),
        ),
      ),
    ).toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(
      await failureOf(
        call<ListPrescriptionsResponse>((done) =>
          jobs.listPrescriptions({ jobId: "job_nope", pageSize: 0, pageToken: "" }, done),
        ),
      ),
    ).toMatchObject({ code: status.NOT_FOUND });

    const later = [
      await prescribe(jobs, { projectId, datasetCsv }),
      await prescribe(jobs, { projectId, datasetCsv }),
    ];
    const listJobs = (pageToken: string) =>
      call<ListPrescriptionJobsResponse>((done) =>
        jobs.listPrescriptionJobs({ projectId, pageSize: 2, pageToken }, done),
      );
    const first = await listJobs("");
    const second = await listJobs(first.nextPageToken);
    expect(second.nextPageToken).toBe("");
    const ids = [...first.jobs, ...second.jobs].map((j) => j.jobId);
    expect(new Set(ids)).toEqual(new Set([job.jobId, ...later.map((j) => j.jobId)]));
    const created = [...first.jobs, ...second.jobs].map((j) => j.createdAt?.getTime() ?? 0);
    expect(created).toEqual([...created].sort((a, b) => b - a));
    expect(second.jobs.map((j) => j.jobId)).toEqual([job.jobId]);
  });

  it("deletes a job, its results and its own blobs; again is OK; an upload stays", async () => {
    const { projectId, jobs } = await trainedProject(env, { prescribing: ["alarm"] });
    const db = env.core.core.store.db;
    const inline = await prescribe(jobs, { projectId, datasetCsv: Buffer.from(runningLog) });
    const uploaded = await upload(env.core.datasets, Buffer.from(runningLog));
    const fromUpload = await prescribe(jobs, { projectId, datasetId: uploaded.datasetId });
    await env.core.core.preparationIdle();
    await answerRequest(db, inline.jobId, "alarm", "DONE", [{ caseId: "c1", output: "x" }]);
    const row = await db("prescription_jobs").where({ id: inline.jobId }).first();

    const remove = (jobId: string) =>
      call<DeletePrescriptionJobResponse>((done) => jobs.deletePrescriptionJob({ jobId }, done));
    await remove(inline.jobId);
    await remove(inline.jobId);
    expect(await failureOf(getJob(jobs, inline.jobId))).toMatchObject({ code: status.NOT_FOUND });
    for (const blob of [row.raw_blob_id, row.cases_blob_id]) {
      expect(await storedBlobParts(db, blob)).toEqual({ blobs: 0, stored: 0 });
    }
    for (const table of ["job_cases", "prescription_requests"]) {
      expect(await db(table).where({ job_id: inline.jobId }).count({ n: "*" })).toEqual([{ n: 0 }]);
    }
    expect(await db("prescription_results").count({ n: "*" })).toEqual([{ n: 0 }]);

    await remove(fromUpload.jobId);
    expect((await storedBlobParts(db, uploaded.datasetId)).blobs).toBe(1);
    // The upload can start another job.
    expect((await prescribe(jobs, { projectId, datasetId: uploaded.datasetId })).status).toBe(
      JobStatus.JOB_STATUS_PREPARING,
    );
  });

  it("ends a watch with NOT_FOUND for an unknown job, and for a job deleted while watched", async () => {
    const { projectId, jobs } = await trainedProject(env, { prescribing: ["alarm"] });
    expect((await watchJob(jobs, "job_nope")).error?.code).toBe(status.NOT_FOUND);
    const job = await prescribe(jobs, { projectId, datasetCsv: Buffer.from(runningLog) });
    await env.core.core.preparationIdle();
    let first: () => void = () => {};
    const seen = new Promise<void>((resolve) => {
      first = resolve;
    });
    const watched = watchJob(jobs, job.jobId, () => first());
    await seen;
    await call<DeletePrescriptionJobResponse>((done) =>
      jobs.deletePrescriptionJob({ jobId: job.jobId }, done),
    );
    const { jobs: messages, error } = await watched;
    // RUNNING once, or again when its request reached the (silent) plugin before the delete.
    expect(messages.length).toBeGreaterThan(0);
    expect(new Set(messages.map((j) => j.status))).toEqual(new Set([JobStatus.JOB_STATUS_RUNNING]));
    expect(error?.code).toBe(status.NOT_FOUND);
  });
});
