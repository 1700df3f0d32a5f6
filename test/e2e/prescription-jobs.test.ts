// Prescription jobs, the consumer side, through the real server: a job is checked at once,
// prepared in the background into a running-cases set (cases contiguous, in time order, no
// labels), gets one request per TRAINED plugin, and its results (written here as the plugin
// side will write them) are listed in the dataset's order, with why a plugin has none.
import { expect, it } from "vitest";
import { JobPluginStatus, JobStatus } from "../../src/gen/trainingcore/v1/prescription_service.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import {
  answerRequest,
  getJob,
  jobToEnd,
  listAllPrescriptions,
  prescribe,
  runningCasesSet,
  runningLog,
  trainedProject,
  watchJob,
} from "../helpers/prescription-jobs.js";

describeEachDialect("prescription jobs", (dialect) => {
  const env = freshCorePerTest(dialect);

  it("prepares the running cases, asks each TRAINED plugin, and lists what they answered", async () => {
    const { projectId, jobs } = await trainedProject(env, {
      prescribing: ["alarm", "next"],
      other: ["quiet"],
    });
    const created = await prescribe(jobs, { projectId, datasetCsv: Buffer.from(runningLog) });
    expect(created).toMatchObject({ projectId, status: JobStatus.JOB_STATUS_PREPARING, cases: 0 });
    expect(created.jobId).toMatch(/^job_[0-9a-f]{32}$/);

    const seen: JobStatus[] = [];
    const watched = watchJob(jobs, created.jobId, (job) => seen.push(job.status));
    await env.core.core.preparationIdle();
    const running = await getJob(jobs, created.jobId);
    expect(running).toMatchObject({ status: JobStatus.JOB_STATUS_RUNNING, cases: 2, error: "" });
    // WAITING, or RUNNING once delivered to the connected (silent) test plugins.
    const open = (status: JobPluginStatus) =>
      status === JobPluginStatus.JOB_PLUGIN_STATUS_RUNNING
        ? JobPluginStatus.JOB_PLUGIN_STATUS_WAITING
        : status;
    expect(running.plugins.map((p) => [p.key, open(p.status), p.detail])).toEqual([
      ["alarm", JobPluginStatus.JOB_PLUGIN_STATUS_WAITING, ""],
      ["next", JobPluginStatus.JOB_PLUGIN_STATUS_WAITING, ""],
      [
        "quiet",
        JobPluginStatus.JOB_PLUGIN_STATUS_NOT_SERVING,
        'plugin "quiet" does not answer prescription requests (its OnlineReport does not set prescribes)',
      ],
    ]);

    // The running-cases set: c2 first (file order), c1's events in time order, no labels.
    const db = env.core.core.store.db;
    const row = await db("prescription_jobs").where({ id: created.jobId }).first();
    expect(row.cases_blob_id).toMatch(/^rc_/);
    expect(await runningCasesSet(db, created.jobId)).toBe(
      [
        "CASE_ID,ACTIVITY,TIMESTAMP,RESOURCE",
        "c2,register,2024-01-02T07:00:00.000Z,ann",
        "c1,check,2024-01-01T09:00:00.000Z,bob",
        "c1,register,2024-01-01T10:00:00.000Z,ann",
        "",
      ].join("\n"),
    );
    const requests = await db("prescription_requests").where({ job_id: created.jobId });
    for (const request of requests) {
      expect(request.id).toMatch(new RegExp(`^req_${projectId}_[0-9a-f]{32}$`));
      if (request.status === "NOT_SERVING") expect(request.deadline_ms).toBeNull();
      else expect(Number(request.deadline_ms)).toBeGreaterThan(0);
    }

    // Before any answer: the cases, with nobody in their maps yet.
    const before = await listAllPrescriptions(jobs, created.jobId);
    expect(before.pages[0]?.cases).toEqual([
      { caseId: "c2", prescriptions: {} },
      { caseId: "c1", prescriptions: {} },
    ]);

    await answerRequest(db, created.jobId, "alarm", "DONE", [
      { caseId: "c1", output: 0.25, type: "ALARM", model: { name: "m", accuracy: 0.9 } },
    ]);
    env.core.core.feed.jobChanged(created.jobId);
    await answerRequest(db, created.jobId, "next", "ERROR", [], "out of memory");
    env.core.core.feed.jobChanged(created.jobId);

    const done = await jobToEnd(jobs, created.jobId);
    expect(done.status).toBe(JobStatus.JOB_STATUS_DONE);
    expect(done.finishedAt).toBeInstanceOf(Date);
    expect(done.plugins.map((p) => [p.key, p.casesDone])).toEqual([
      ["alarm", 1],
      ["next", 0],
      ["quiet", 0],
    ]);
    const { jobs: messages, error } = await watched;
    expect(error).toBeUndefined();
    expect(messages[messages.length - 1]?.status).toBe(JobStatus.JOB_STATUS_DONE);
    expect(seen).toContain(JobStatus.JOB_STATUS_RUNNING);

    const after = await listAllPrescriptions(jobs, created.jobId);
    expect(after.pages[0]?.cases).toEqual([
      {
        caseId: "c2",
        prescriptions: {
          alarm: {
            type: "",
            output: null,
            detail: "no prescription from this plugin for this case",
            model: {},
          },
          next: { type: "", output: null, detail: "out of memory", model: {} },
        },
      },
      {
        caseId: "c1",
        prescriptions: {
          alarm: { type: "ALARM", output: 0.25, detail: "", model: { name: "m", accuracy: 0.9 } },
          next: { type: "", output: null, detail: "out of memory", model: {} },
        },
      },
    ]);
  });
});
