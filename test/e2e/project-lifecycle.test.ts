// Projects over their whole life, through the real server on both databases: DeleteProject (what
// goes, what stays, watches ending NOT_FOUND, later reports refused as deleted, leases freed,
// preprocessing stopped), training again from a stored project, UpdateProject, SetPluginServing.
import { status } from "@grpc/grpc-js";
import type { Knex } from "knex";
import { expect, it } from "vitest";
import {
  type DeletePrescriptionJobResponse,
  JobPluginStatus,
} from "../../src/gen/trainingcore/v1/prescription_service.js";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import type {
  DeleteProjectResponse,
  ProjectServiceClient,
  SetPluginServingResponse,
  UpdateProjectResponse,
} from "../../src/gen/trainingcore/v1/project_service.js";
import { storedBlobParts } from "../helpers/blobs.js";
import { describeEachDialect } from "../helpers/databases.js";
import { upload } from "../helpers/datasets.js";
import { type FreshCore, freshCorePerTest } from "../helpers/fresh-core.js";
import {
  call,
  getJob,
  prescribe,
  runningLog,
  runningLogDefinition,
  trainedProject,
  watchJob,
} from "../helpers/prescription-jobs.js";
import { createProject, failureOf, getProject, tinyCsv, watchToEnd } from "../helpers/projects.js";

function deleteProject(client: ProjectServiceClient, projectId: number) {
  return call<DeleteProjectResponse>((done) => client.deleteProject({ projectId }, done));
}

function setServing(
  client: ProjectServiceClient,
  projectId: number,
  pluginId: number,
  serving: boolean,
) {
  return call<SetPluginServingResponse>((done) =>
    client.setPluginServing({ projectId, pluginId, serving }, done),
  );
}

function update(
  client: ProjectServiceClient,
  request: { projectId: number; name?: string; description?: string; updateMask?: string[] },
) {
  return call<UpdateProjectResponse>((done) =>
    client.updateProject({ name: "", description: "", updateMask: [], ...request }, done),
  );
}

async function count(db: Knex, table: string, where: Record<string, unknown>): Promise<number> {
  return Number((await db(table).where(where).count({ n: "*" }))[0]?.n);
}

/** Resolves on the next change notification of the project (e.g. stored progress). */
function nextChange(env: FreshCore, projectId: number): Promise<void> {
  return new Promise((resolve) => {
    const off = env.core.core.feed.onProjectChanged(projectId, () => {
      off();
      resolve();
    });
  });
}

describeEachDialect("project lifecycle", (dialect) => {
  const env = freshCorePerTest(dialect, { maxInFlightPerStream: 1 });

  it("deletes a project with its job and blobs in one go; again is OK; a shared upload stays", async () => {
    const { projectId, jobs } = await trainedProject(env, { prescribing: ["alarm"] });
    const { projects } = env.core;
    const db = env.core.core.store.db;
    const job = await prescribe(jobs, { projectId, datasetCsv: Buffer.from(runningLog) });
    await env.core.core.preparationIdle();
    const project = await db("projects").where({ id: projectId }).first();
    const jobRow = await db("prescription_jobs").where({ id: job.jobId }).first();
    const own = [
      project.raw_blob_id,
      project.training_blob_id,
      project.holdout_blob_id,
      jobRow.raw_blob_id,
      jobRow.cases_blob_id,
    ];
    expect(own.map((id: string) => id.slice(0, 3))).toEqual(["raw", "td_", "ho_", "raw", "rc_"]);
    // Two projects of one upload: deleting one leaves the upload to the other.
    const uploaded = await upload(env.core.datasets, Buffer.from(tinyCsv));
    const [first, second] = [
      await createProject(projects, {
        datasetCsv: Buffer.alloc(0),
        datasetId: uploaded.datasetId,
        pluginKeys: ["alarm"],
      }),
      await createProject(projects, {
        datasetCsv: Buffer.alloc(0),
        datasetId: uploaded.datasetId,
        pluginKeys: ["alarm"],
      }),
    ];
    await env.core.core.preprocessingIdle();

    let watching: () => void = () => {};
    const seen = new Promise<void>((resolve) => {
      watching = resolve;
    });
    const watched = watchJob(jobs, job.jobId, () => watching());
    await seen;
    await deleteProject(projects, projectId);
    expect((await watched).error?.code).toBe(status.NOT_FOUND);
    expect(await failureOf(getProject(projects, projectId))).toEqual({
      code: status.NOT_FOUND,
      details: `project ${projectId} does not exist`,
    });
    expect(await failureOf(getJob(jobs, job.jobId))).toMatchObject({ code: status.NOT_FOUND });
    for (const blob of own) {
      expect(await storedBlobParts(db, blob)).toEqual({ blobs: 0, stored: 0 });
    }
    for (const table of ["memberships", "events", "prescription_jobs"]) {
      expect(await count(db, table, { project_id: projectId })).toBe(0);
    }
    for (const table of ["job_cases", "prescription_requests"]) {
      expect(await count(db, table, { job_id: job.jobId })).toBe(0);
    }
    expect(await count(db, "deleted_projects", { id: projectId })).toBe(1);
    // Idempotent: again, and a project that never existed.
    await deleteProject(projects, projectId);
    await deleteProject(projects, 987_654);
    expect(await failureOf(deleteProject(projects, 0))).toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    await call<DeletePrescriptionJobResponse>((done) =>
      jobs.deletePrescriptionJob({ jobId: job.jobId }, done),
    );

    await deleteProject(projects, first.id);
    expect((await storedBlobParts(db, uploaded.datasetId)).blobs).toBe(1);
    const kept = await getProject(projects, second.id);
    expect(kept.dataset?.trainingDfName).toMatch(/^td_/);
    expect((await storedBlobParts(db, kept.dataset?.trainingDfName ?? "?")).blobs).toBe(1);
  });

  it("ends a watch with NOT_FOUND, refuses later reports as deleted, and frees the instance's lease", async () => {
    const { projects } = env.core;
    const knn = await env.connect("knn");
    const waiting = await createProject(projects, { pluginKeys: ["knn"] });
    const first = await knn.trainingData.next();
    expect(first.projectId).toBe(waiting.id);
    // The only instance holds its one lease (CORE_MAX_IN_FLIGHT_PER_STREAM=1): this one waits.
    const queued = await createProject(projects, { pluginKeys: ["knn"] });
    const watched = watchToEnd(projects, waiting.id).then(
      () => undefined,
      (error: { code: number; details: string }) => error,
    );
    await deleteProject(projects, waiting.id);
    expect(await watched).toMatchObject({
      code: status.NOT_FOUND,
      details: `project ${waiting.id} was deleted`,
    });
    // Its lease ended with it: the next project's TrainingData comes.
    const second = await knn.trainingData.next();
    expect(second.projectId).toBe(queued.id);
    expect(await knn.dataReport(first)).toMatchObject({
      code: status.FAILED_PRECONDITION,
      message: `project ${waiting.id} was deleted`,
    });

    // During training.
    expect((await knn.dataReport(second)).code).toBe(status.OK);
    expect((await knn.trainingStart(second)).code).toBe(status.OK);
    await deleteProject(projects, queued.id);
    expect(await knn.modelName(second)).toMatchObject({
      code: status.FAILED_PRECONDITION,
      message: `project ${queued.id} was deleted`,
    });
    // A project that never existed is still NOT_FOUND.
    expect((await knn.dataReport({ ...second, projectId: 987_654 })).code).toBe(status.NOT_FOUND);
    expect(await count(env.core.core.store.db, "memberships", {})).toBe(0);
  });

  it("stops preprocessing a project deleted meanwhile, leaving no half-written set", async () => {
    const { projects } = env.core;
    await env.connect("knn");
    const rows = ["case,activity,time"];
    for (let i = 0; i < 200_000; i++)
      rows.push(`c${i >> 3},a${i & 7},2024-01-01T00:00:${String(i % 60).padStart(2, "0")}Z`);
    const db = env.core.core.store.db;
    const created = await createProject(projects, {
      datasetCsv: Buffer.from(`${rows.join("\n")}\n`),
      caseIdColumn: "case",
      pluginKeys: ["knn"],
    });
    // The first stored progress: preprocessing runs.
    await nextChange(env, created.id);
    const during = await getProject(projects, created.id);
    await deleteProject(projects, created.id);
    await env.core.core.preprocessingIdle();
    expect(during.status).toBe(ProjectStatus.PROJECT_STATUS_PREPROCESSING);
    expect(during.preprocessing).toMatchObject({ done: false, rowsDone: expect.any(Number) });
    for (const prefix of ["td_", "ho_", "raw_"]) {
      expect(await storedBlobParts(db, prefix)).toEqual({ blobs: 0, stored: 0 });
    }
    expect(await count(db, "projects", {})).toBe(0);
    expect(await count(db, "memberships", {})).toBe(0);
  });

  it("trains again from a TRAINED and from an ERROR project, with the source's values where none are given", async () => {
    const { projects } = env.core;
    const db = env.core.core.store.db;
    const alarm = await env.connect("alarm", { prescribes: true });
    const { id: sourceId } = await createProject(projects, {
      datasetCsv: Buffer.from(runningLog),
      pluginKeys: ["alarm"],
      definition: runningLogDefinition,
      parameters: { alarm: { k: 5 } },
    });
    await alarm.train(await alarm.trainingData.next());
    await watchToEnd(projects, sourceId);
    const source = await getProject(projects, sourceId);
    const again = await createProject(projects, {
      name: "again",
      datasetCsv: Buffer.alloc(0),
      sourceProjectId: sourceId,
      parameters: { alarm: { k: 9 } },
    });
    expect(again).toMatchObject({ sourceProjectId: sourceId, pluginKeys: ["alarm"] });
    expect(again.definition).toEqual(source.definition);
    const td = await alarm.trainingData.next();
    expect(td).toMatchObject({ projectId: again.id, parameters: { k: 9 } });
    await alarm.train(td);
    await watchToEnd(projects, again.id);
    const trained = await getProject(projects, again.id);
    expect(trained.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(trained.dataset).toMatchObject({
      columns: source.dataset?.columns,
      cases: source.dataset?.cases,
    });
    const rawOf = async (id: number) => (await db("projects").where({ id }).first()).raw_blob_id;
    expect(await rawOf(again.id)).toBe(await rawOf(sourceId));

    // From an ERROR project, keys and all inherited.
    const failing = await createProject(projects, {
      datasetCsv: Buffer.from(runningLog),
      pluginKeys: ["alarm"],
      definition: runningLogDefinition,
    });
    await alarm.errorReport(await alarm.trainingData.next(), "no luck");
    await watchToEnd(projects, failing.id);
    expect((await getProject(projects, failing.id)).status).toBe(
      ProjectStatus.PROJECT_STATUS_ERROR,
    );
    const retry = await createProject(projects, {
      datasetCsv: Buffer.alloc(0),
      sourceProjectId: failing.id,
    });
    expect(retry).toMatchObject({ sourceProjectId: failing.id, pluginKeys: ["alarm"] });
    await alarm.train(await alarm.trainingData.next());
    await watchToEnd(projects, retry.id);

    // Deleting the source keeps the shared dataset for the project trained again.
    const raw = await rawOf(sourceId);
    await deleteProject(projects, sourceId);
    expect((await storedBlobParts(db, raw)).blobs).toBe(1);
    expect((await getProject(projects, again.id)).sourceProjectId).toBe(sourceId);
    await deleteProject(projects, again.id);
    expect(await storedBlobParts(db, raw)).toEqual({ blobs: 0, stored: 0 });
  });

  it("refuses to train again from a project still at work, an unknown one, or with a dataset beside", async () => {
    const { projects } = env.core;
    await env.connect("knn");
    const busy = await createProject(projects, { pluginKeys: ["knn"] });
    await env.core.core.preprocessingIdle();
    expect(
      await failureOf(
        createProject(projects, { datasetCsv: Buffer.alloc(0), sourceProjectId: busy.id }),
      ),
    ).toEqual({
      code: status.FAILED_PRECONDITION,
      details: `project ${busy.id} is PREPROCESSING; train again from a TRAINED or ERROR project`,
    });
    expect(
      await failureOf(
        createProject(projects, { datasetCsv: Buffer.alloc(0), sourceProjectId: 999 }),
      ),
    ).toEqual({ code: status.NOT_FOUND, details: "project 999 does not exist" });
    expect(await failureOf(createProject(projects, { sourceProjectId: busy.id }))).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining("set neither dataset_csv nor dataset_id"),
    });
  });

  it("updates the name and the description as the mask says", async () => {
    const { projects } = env.core;
    await env.connect("knn");
    const created = await createProject(projects, { pluginKeys: ["knn"], description: "d0" });
    const named = await update(projects, {
      projectId: created.id,
      name: "n1",
      description: "ignored",
      updateMask: ["name"],
    });
    expect(named.project).toMatchObject({ name: "n1", description: "d0" });
    const both = await update(projects, { projectId: created.id, name: "n2", description: "d2" });
    expect(both.project).toMatchObject({ name: "n2", description: "d2" });
    expect((await getProject(projects, created.id)).name).toBe("n2");
    expect(
      await failureOf(
        update(projects, { projectId: created.id, name: "x", updateMask: ["status"] }),
      ),
    ).toEqual({
      code: status.INVALID_ARGUMENT,
      details: 'update_mask names "status"; only name and description can change',
    });
    expect(await failureOf(update(projects, { projectId: created.id, name: " " }))).toEqual({
      code: status.INVALID_ARGUMENT,
      details: "name is required",
    });
    expect(await failureOf(update(projects, { projectId: 999, name: "x" }))).toMatchObject({
      code: status.NOT_FOUND,
    });
  });

  it("takes a plugin out of new jobs and puts it back, with an event each time", async () => {
    const { projects } = env.core;
    const { projectId, jobs } = await trainedProject(env, { prescribing: ["alarm", "knn"] });
    const before = await getProject(projects, projectId);
    expect(before.plugins.map((p) => [p.key, p.serving])).toEqual([
      ["alarm", true],
      ["knn", true],
    ]);
    const [alarm, knn] = before.plugins;
    const lastEvent = (await watchToEnd(projects, projectId)).at(-1)?.eventId ?? 0;
    const off = await setServing(projects, projectId, alarm?.pluginId ?? 0, false);
    expect(off.plugin).toMatchObject({ key: "alarm", serving: false });
    // A watch after the final event sees the change, and ends.
    const events = await watchToEnd(projects, projectId, lastEvent);
    expect(events.map((e) => [e.pluginKey, e.detail])).toEqual([
      ["alarm", "set not to serve prescriptions"],
    ]);
    // Setting it again changes nothing.
    await setServing(projects, projectId, alarm?.pluginId ?? 0, false);
    expect(await watchToEnd(projects, projectId, lastEvent)).toHaveLength(1);

    const datasetCsv = Buffer.from(runningLog);
    const without = await prescribe(jobs, { projectId, datasetCsv });
    await env.core.core.preparationIdle();
    const parts = (await getJob(jobs, without.jobId)).plugins;
    expect(
      parts.map((p) => [p.key, p.status === JobPluginStatus.JOB_PLUGIN_STATUS_NOT_SERVING]),
    ).toEqual([
      ["alarm", true],
      ["knn", false],
    ]);
    expect(parts[0]?.detail).toContain("was set not to serve");

    await setServing(projects, projectId, knn?.pluginId ?? 0, false);
    expect(await failureOf(prescribe(jobs, { projectId, datasetCsv }))).toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringContaining("set not to serve"),
    });
    await setServing(projects, projectId, alarm?.pluginId ?? 0, true);
    const back = await prescribe(jobs, { projectId, datasetCsv });
    await env.core.core.preparationIdle();
    expect(
      (await getJob(jobs, back.jobId)).plugins.map((p) => [
        p.key,
        p.status === JobPluginStatus.JOB_PLUGIN_STATUS_NOT_SERVING,
      ]),
    ).toEqual([
      ["alarm", false],
      ["knn", true],
    ]);

    // Only a TRAINED membership of the project serves.
    const pending = await env.connect("slow");
    const busy = await createProject(projects, { pluginKeys: ["slow"] });
    const td = await pending.trainingData.next();
    expect(await failureOf(setServing(projects, busy.id, td.pluginId, true))).toEqual({
      code: status.FAILED_PRECONDITION,
      details: `plugin_id ${td.pluginId} ("slow") is WAITING; only a TRAINED plugin serves prescriptions`,
    });
    expect(
      await failureOf(setServing(projects, busy.id, alarm?.pluginId ?? 0, true)),
    ).toMatchObject({
      code: status.NOT_FOUND,
    });
  });
});
