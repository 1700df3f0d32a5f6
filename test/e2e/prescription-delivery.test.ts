import { status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import { checkDownloadAllowed } from "../../src/app/auth/download-access.js";
import type {
  PrescriptionRequest,
  TrainingData,
} from "../../src/gen/trainingcore/v1/plugin_service.js";
import type { CasePrescription } from "../../src/gen/trainingcore/v1/prescription.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import type { TestPlugin } from "../helpers/plugin-client.js";
import { createProject, listPlugins } from "../helpers/projects.js";
import {
  readJob,
  runningCases,
  storedResults,
  storePrescriptionJob,
} from "../helpers/stored-prescription-jobs.js";
import { trainedProject } from "../helpers/trained-projects.js";

function answers(caseIds: readonly string[], by: string): CasePrescription[] {
  return caseIds.map((caseId) => ({
    caseId,
    prescription: { type: "NEXT_ACTIVITY", output: { by }, detail: "", model: {} },
  }));
}

describeEachDialect("prescription requests: delivery", (dialect) => {
  const env = freshCorePerTest(dialect, { deferStart: true });

  /** Waits until nothing is being handed out and the plugins read what was sent. */
  async function settle(...plugins: TestPlugin[]): Promise<void> {
    await env.core.core.dispatchIdle();
    for (const plugin of plugins) {
      const ack = await plugin.send({ $case: "onlineReport", value: plugin.identity() });
      expect(ack.code).toBe(status.OK);
    }
  }

  it("moves a request to the other instance when its holder disconnects mid-answer: no case lost or doubled", async () => {
    const core = await env.start();
    const [a, b] = [
      await env.connect("k", { prescribes: true }),
      await env.connect("k", { prescribes: true }),
    ];
    const project = await createProject(core.projects, { pluginKeys: ["k"] });
    await core.core.preprocessingIdle();
    await settle(a, b);
    const trainer = a.trainingData.size > 0 ? a : b;
    await trainer.train(await trainer.trainingData.next());
    const job = await storePrescriptionJob(core.core, project.id, runningCases(10));
    await settle(a, b);
    const holder = a.prescriptionRequests.size > 0 ? a : b;
    const other = holder === a ? b : a;
    const request = await holder.prescriptionRequests.next();
    expect(other.prescriptionRequests.size).toBe(0);
    expect(
      (await holder.answer(request.requestId, answers(job.caseIds.slice(0, 4), "holder"))).code,
    ).toBe(0);
    holder.cancel();
    const moved = await other.prescriptionRequests.next();
    expect(moved.requestId).toBe(request.requestId);
    // The new holder answers everything, the first four again (a harmless repeat of other values).
    expect(
      (await other.answer(moved.requestId, answers(job.caseIds.slice(0, 7), "other"))).code,
    ).toBe(0);
    expect(
      (await other.answer(moved.requestId, answers(job.caseIds.slice(7), "other"), true)).code,
    ).toBe(0);
    const results = await storedResults(core.core, request.requestId);
    expect([...results.keys()].sort()).toEqual(job.caseIds);
    expect(
      job.caseIds.map((id) => (results.get(id)?.output as { by?: string } | undefined)?.by),
    ).toEqual([...Array(4).fill("holder"), ...Array(6).fill("other")]);
    const { job: row, requests } = await readJob(core.core, job.jobId);
    expect(Number(requests[0].cases_done)).toBe(10);
    expect(row.status).toBe("DONE");
  });

  it("keeps the lease while parts arrive, and moves the request once its holder goes quiet", async () => {
    const core = await env.start({ deliveryLeaseMs: 1000 });
    const [a, b] = [
      await env.connect("k", { prescribes: true }),
      await env.connect("k", { prescribes: true }),
    ];
    const project = await createProject(core.projects, { pluginKeys: ["k"] });
    await core.core.preprocessingIdle();
    await settle(a, b);
    const trainer = a.trainingData.size > 0 ? a : b;
    await trainer.train(await trainer.trainingData.next());
    const job = await storePrescriptionJob(core.core, project.id, runningCases(15));
    await settle(a, b);
    const holder = a.prescriptionRequests.size > 0 ? a : b;
    const other = holder === a ? b : a;
    const request = await holder.prescriptionRequests.next();
    // A part every 100 ms or more, for longer than the lease: the request stays with its holder.
    for (const caseId of job.caseIds) {
      expect((await holder.answer(request.requestId, answers([caseId], "holder"))).code).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(other.prescriptionRequests.size).toBe(0);
    // Quiet past the lease: the other instance gets it.
    const moved = await other.prescriptionRequests.next();
    expect(moved.requestId).toBe(request.requestId);
    expect((await other.answer(moved.requestId, [], true)).code).toBe(0);
    expect((await readJob(core.core, job.jobId)).job.status).toBe("DONE");
  });

  it("times out a request nobody answers, and the job is DONE", async () => {
    const core = await env.start({ prescriptionTimeoutMs: 500 });
    const k = await env.connect("k", { prescribes: true });
    const project = await trainedProject(core, [k]);
    const job = await storePrescriptionJob(core.core, project.id, runningCases(3));
    await k.prescriptionRequests.next(); // and never answered
    await expect
      .poll(async () => (await readJob(core.core, job.jobId)).job.status, { timeout: 10_000 })
      .toBe("DONE");
    const { job: row, requests } = await readJob(core.core, job.jobId);
    expect(requests[0]).toMatchObject({ status: "TIMED_OUT", deadline_ms: null });
    expect(requests[0].detail).toContain("500 ms");
    expect(Number(row.finished_ms)).toBeGreaterThan(0);
    const late = await k.answer(requests[0].id, answers(["c0000"], "k"), true);
    expect(late.code).toBe(status.FAILED_PRECONDITION);
  });

  it("sends requests only to keys that prescribe", async () => {
    const core = await env.start();
    const k = await env.connect("k", { prescribes: true });
    const quiet = await env.connect("quiet");
    const project = await trainedProject(core, [k, quiet]);
    const job = await storePrescriptionJob(core.core, project.id, runningCases(2));
    const request = await k.prescriptionRequests.next();
    expect(request.requestId).toBe(job.requests.get("k"));
    // Even a WAITING request of a key that does not prescribe is not handed out.
    const quietId = job.requests.get("quiet") as string;
    await core.core.store
      .db("prescription_requests")
      .where({ id: quietId })
      .update({ status: "WAITING" });
    core.core.feed.workAvailable(["quiet"]);
    await settle(k, quiet);
    expect(quiet.prescriptionRequests.size).toBe(0);
    const { requests } = await readJob(core.core, job.jobId);
    expect(requests.find((r) => r.id === job.requests.get("k"))?.status).toBe("RUNNING");
    const { plugins } = await listPlugins(core.projects);
    expect(plugins.map((p) => [p.key, p.prescribes])).toEqual([
      ["k", true],
      ["quiet", false],
    ]);
  });

  it("counts requests and TrainingData in one in-flight cap per stream", async () => {
    const core = await env.start({ maxInFlightPerStream: 2 });
    const k = await env.connect("k", { prescribes: true });
    const trained = await trainedProject(core, [k]);
    const jobs = [
      await storePrescriptionJob(core.core, trained.id, runningCases(2)),
      await storePrescriptionJob(core.core, trained.id, runningCases(2)),
    ];
    await createProject(core.projects, { pluginKeys: ["k"] }); // one TrainingData in flight
    await core.core.preprocessingIdle();
    await settle(k);
    const sent: (TrainingData | PrescriptionRequest)[] = [
      ...k.trainingData.takeAll(),
      ...k.prescriptionRequests.takeAll(),
    ];
    // Without one shared cap: one TrainingData and both requests.
    expect(sent).toHaveLength(2);
    // Finishing one frees one place: the other request (or the TrainingData) comes.
    const request = sent.find((m): m is PrescriptionRequest => "requestId" in m);
    if (!request) throw new Error("no request among the first two messages");
    expect((await k.answer(request.requestId, [], true)).code).toBe(0);
    await settle(k);
    expect(k.trainingData.size + k.prescriptionRequests.size).toBe(1);
    const pending = [...jobs.map((j) => j.requests.get("k"))].filter(
      (id) => id !== request.requestId,
    );
    expect(pending).toHaveLength(1);
  });

  it("lets a plugin download the running cases of its own jobs only", async () => {
    const core = await env.start();
    const k = await env.connect("k", { prescribes: true });
    const project = await trainedProject(core, [k]);
    const job = await storePrescriptionJob(core.core, project.id, runningCases(2));
    const db = core.core.store.db;
    const as = (key: string) => ({ kind: "plugin", key, tokenId: 1 }) as const;
    await expect(checkDownloadAllowed(db, as("k"), job.casesBlobId)).resolves.toBeUndefined();
    await expect(checkDownloadAllowed(db, as("stranger"), job.casesBlobId)).rejects.toMatchObject({
      code: "PERMISSION_DENIED",
    });
  });
});
