// Project lifecycle meeting prescriptions, through the real server on both databases: deleting a
// project while its dataset job is being answered and while a live stream is read, and taking a
// plugin out of (and back into) a live stream with SetPluginServing.
import { type ServiceError, status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import type { CasePrescription } from "../../src/gen/trainingcore/v1/prescription.js";
import {
  JobPluginStatus,
  JobStatus,
  type PrescribedEvent,
} from "../../src/gen/trainingcore/v1/prescription_service.js";
import type {
  DeleteProjectResponse,
  ProjectServiceClient,
  SetPluginServingResponse,
} from "../../src/gen/trainingcore/v1/project_service.js";
import { storedBlobParts } from "../helpers/blobs.js";
import { describeEachDialect } from "../helpers/databases.js";
import { upload } from "../helpers/datasets.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { answerFor, event, liveProject, post, watch } from "../helpers/live-prescriptions.js";
import type { TestPlugin } from "../helpers/plugin-client.js";
import {
  call,
  getJob,
  jobToEnd,
  prescribe,
  runningLog,
  runningLogDefinition,
  watchJob,
} from "../helpers/prescription-jobs.js";
import { createProject, failureOf, getProject, watchToEnd } from "../helpers/projects.js";

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

/** Running cases of the running log's columns: `n` cases of two events. */
function runningCasesCsv(n: number): { csv: string; caseIds: string[] } {
  const lines = ["case,activity,timestamp,who"];
  const caseIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const caseId = `c${String(i).padStart(3, "0")}`;
    caseIds.push(caseId);
    lines.push(`${caseId},register,2024-02-01T0${i % 10}:00:00Z,ann`);
    lines.push(`${caseId},check,2024-02-01T1${i % 10}:00:00Z,bob`);
  }
  return { csv: `${lines.join("\n")}\n`, caseIds };
}

function answers(caseIds: readonly string[], output: unknown): CasePrescription[] {
  return caseIds.map((caseId) => ({
    caseId,
    prescription: { type: "NEXT_ACTIVITY", output, detail: "", model: {} },
  }));
}

function plugin(plugins: Map<string, TestPlugin>, key: string): TestPlugin {
  const found = plugins.get(key);
  if (!found) throw new Error(`no plugin ${key}`);
  return found;
}

/** How a stream's reader ended (its first error). */
function endOf(stream: { on(event: "error", l: (e: ServiceError) => void): unknown }) {
  return new Promise<{ code: number; details: string }>((resolve) =>
    stream.on("error", (e) => resolve({ code: e.code, details: e.details })),
  );
}

describeEachDialect("project lifecycle with prescriptions", (dialect) => {
  const env = freshCorePerTest(dialect);

  it("deletes a project while its plugins answer a dataset job: the watch ends, later parts are refused, blobs go, a shared upload stays", async () => {
    const { projects } = env.core;
    const db = env.core.core.store.db;
    const { projectId, client, plugins } = await liveProject(env, ["a", "b"]);
    const [a, b] = [plugin(plugins, "a"), plugin(plugins, "b")];
    const { csv, caseIds } = runningCasesCsv(12);
    const uploaded = await upload(env.core.datasets, Buffer.from(csv));
    // Another project of the same upload (its plugin never trains: it stays WAITING).
    await env.connect("idle");
    const sharing = await createProject(projects, {
      datasetCsv: Buffer.alloc(0),
      datasetId: uploaded.datasetId,
      pluginKeys: ["idle"],
      definition: runningLogDefinition,
    });
    await env.core.core.preprocessingIdle();
    const sharingTraining = (await getProject(projects, sharing.id)).dataset?.trainingDfName ?? "";
    expect(sharingTraining).not.toBe("");

    const job = await prescribe(client, {
      projectId,
      datasetCsv: Buffer.alloc(0),
      datasetId: uploaded.datasetId,
    });
    const [toA, toB] = [await a.prescriptionRequests.next(), await b.prescriptionRequests.next()];
    expect([toA.input?.$case, toB.input?.$case]).toEqual(["datasetName", "datasetName"]);
    const casesBlobId = (await db("prescription_jobs").where({ id: job.jobId }).first())
      .cases_blob_id as string;
    expect((await storedBlobParts(db, casesBlobId)).blobs).toBe(1);

    // Both answer part of the cases; a watcher sees the job RUNNING with progress.
    let progressed: () => void = () => {};
    const seenProgress = new Promise<void>((resolve) => {
      progressed = resolve;
    });
    const watched = watchJob(client, job.jobId, (seen) => {
      if (seen.plugins.some((p) => p.casesDone > 0)) progressed();
    });
    expect((await a.answer(toA.requestId, answers(caseIds.slice(0, 4), "a"))).code).toBe(0);
    expect((await b.answer(toB.requestId, answers(caseIds.slice(0, 3), "b"))).code).toBe(0);
    await seenProgress;
    expect((await getJob(client, job.jobId)).status).toBe(JobStatus.JOB_STATUS_RUNNING);

    await deleteProject(projects, projectId);
    const ended = await watched;
    expect(ended.error).toMatchObject({
      code: status.NOT_FOUND,
      details: `no prescription job "${job.jobId}"`,
    });
    expect(await failureOf(getJob(client, job.jobId))).toMatchObject({ code: status.NOT_FOUND });

    // Later parts, the last and an error are refused: the request is gone with the project,
    // and its id (which names the project) tells the plugin why.
    const late = await a.answer(toA.requestId, answers(caseIds.slice(4, 8), "a"));
    expect(late).toMatchObject({
      code: status.FAILED_PRECONDITION,
      message: `project ${projectId} was deleted`,
    });
    expect((await b.answer(toB.requestId, answers(caseIds.slice(3), "b"), true)).code).toBe(
      status.FAILED_PRECONDITION,
    );
    expect((await a.prescriptionError(toA.requestId, "gave up")).code).toBe(
      status.FAILED_PRECONDITION,
    );
    expect(await db("prescription_requests").where({ job_id: job.jobId })).toEqual([]);
    expect(await db("prescription_jobs").where({ project_id: projectId })).toEqual([]);

    // The running-cases set is gone (row, chunks, file); the upload and the sharer's set stay.
    expect(await storedBlobParts(db, casesBlobId)).toEqual({ blobs: 0, stored: 0 });
    expect((await storedBlobParts(db, uploaded.datasetId)).blobs).toBe(1);
    expect((await storedBlobParts(db, sharingTraining)).blobs).toBe(1);
    expect((await getProject(projects, sharing.id)).id).toBe(sharing.id);

    // The core, and the same plugin streams, keep serving another project.
    const other = await createProject(projects, {
      datasetCsv: Buffer.from(runningLog),
      holdoutFraction: 0,
      pluginKeys: ["a"],
      definition: runningLogDefinition,
    });
    await a.train(await a.trainingData.next());
    await watchToEnd(projects, other.id);
    const next = await prescribe(client, {
      projectId: other.id,
      datasetCsv: Buffer.alloc(0),
      datasetId: uploaded.datasetId,
    });
    const request = await a.prescriptionRequests.next();
    expect(request.projectId).toBe(other.id);
    expect((await a.answer(request.requestId, answers(caseIds, "again"), true)).code).toBe(0);
    const done = await jobToEnd(client, next.jobId);
    expect(done.status).toBe(JobStatus.JOB_STATUS_DONE);
    expect(done.plugins.map((p) => [p.key, p.status])).toEqual([
      ["a", JobPluginStatus.JOB_PLUGIN_STATUS_DONE],
    ]);
  });

  it("deletes a project during a live stream: readers end NOT_FOUND, later events are refused", async () => {
    const { projects } = env.core;
    const { projectId, client, plugins } = await liveProject(env, ["k"]);
    const k = plugin(plugins, "k");
    const readers = [watch(client, projectId), watch(client, projectId)];
    const ends = readers.map((reader) => endOf(reader.stream));
    const [first] = await post(client, projectId, [event("c1", "register", "2024-01-01")]);
    const request = await k.prescriptionRequests.next();
    expect((await k.answer(request.requestId, answerFor("c1", "check"), true)).code).toBe(0);
    for (const reader of readers) expect((await reader.events.next()).eventId).toBe(first);
    // One more event whose request is out when the project goes.
    await post(client, projectId, [event("c2", "register", "2024-01-02")]);
    const open = await k.prescriptionRequests.next();

    await deleteProject(projects, projectId);
    for (const end of ends) {
      expect(await end).toEqual({
        code: status.NOT_FOUND,
        details: `project ${projectId} was deleted`,
      });
    }
    expect(
      await failureOf(post(client, projectId, [event("c3", "register", "2024-01-03")])),
    ).toMatchObject({ code: status.NOT_FOUND });
    const lateReader = watch(client, projectId);
    expect((await endOf(lateReader.stream)).code).toBe(status.NOT_FOUND);
    const late = await k.answer(open.requestId, answerFor("c2", "late"), true);
    expect(late).toMatchObject({
      code: status.FAILED_PRECONDITION,
      message: `project ${projectId} was deleted`,
    });
    expect(await env.core.core.store.db("stream_events").where({ project_id: projectId })).toEqual(
      [],
    );

    // No crash: another project's stream works, with the same plugin instance.
    const other = await createProject(projects, {
      datasetCsv: Buffer.from(runningLog),
      holdoutFraction: 0,
      pluginKeys: ["k"],
      definition: runningLogDefinition,
    });
    await k.train(await k.trainingData.next());
    await watchToEnd(projects, other.id);
    const [id] = await post(client, other.id, [event("c1", "register", "2024-01-01")]);
    const fresh = await k.prescriptionRequests.next();
    expect(fresh.projectId).toBe(other.id);
    expect((await k.answer(fresh.requestId, answerFor("c1", "ok"), true)).code).toBe(0);
    const reader = watch(client, other.id);
    const seen = await reader.events.next();
    reader.cancel();
    expect(seen).toMatchObject({ eventId: id, missing: [] });
    expect(seen.prescriptions.k?.output).toBe("ok");
  });

  it("leaves a plugin set not to serve out of a live stream's requests, and asks it again once set back", async () => {
    const { projects } = env.core;
    const { projectId, client, plugins } = await liveProject(env, ["a", "b"]);
    const [a, b] = [plugin(plugins, "a"), plugin(plugins, "b")];
    const pluginId = Object.fromEntries(
      (await getProject(projects, projectId)).plugins.map((p) => [p.key, p.pluginId]),
    );
    const reader = watch(client, projectId);
    /** Posts one event of a new case; each plugin given answers its request; the reader's view. */
    const round = async (caseId: string, answering: TestPlugin[]): Promise<PrescribedEvent> => {
      const [id] = await post(client, projectId, [event(caseId, "register", "2024-01-01")]);
      for (const p of answering) {
        const request = await p.prescriptionRequests.next();
        expect(request.input?.$case === "casePrefix" && request.input.value.caseId).toBe(caseId);
        expect((await p.answer(request.requestId, answerFor(caseId, p.key), true)).code).toBe(0);
      }
      const seen = await reader.events.next();
      expect(seen.eventId).toBe(id);
      return seen;
    };

    const both = await round("c1", [a, b]);
    expect(both.prescriptions.a?.output).toBe("a");
    expect(both.prescriptions.b?.output).toBe("b");

    const off = await setServing(projects, projectId, pluginId.b, false);
    expect(off.plugin).toMatchObject({ key: "b", serving: false });
    const without = await round("c2", [a]);
    expect(without.prescriptions.a?.output).toBe("a");
    expect(Object.keys(without.prescriptions)).toEqual(["a"]);
    expect(without.missing).toEqual([]);
    // b was asked nothing for it: its next request (below) is for c3, not c2.
    expect(b.prescriptionRequests.size).toBe(0);

    await setServing(projects, projectId, pluginId.b, true);
    const again = await round("c3", [a, b]);
    expect(again.prescriptions.a?.output).toBe("a");
    expect(again.prescriptions.b?.output).toBe("b");
    expect(again.missing).toEqual([]);
    reader.cancel();
  });
});
