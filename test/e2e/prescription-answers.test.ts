import { status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import type { CasePrescription } from "../../src/gen/trainingcore/v1/prescription.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import {
  readJob,
  runningCases,
  storedResults,
  storePrescriptionJob,
} from "../helpers/stored-prescription-jobs.js";
import { trainedProject } from "../helpers/trained-projects.js";

function prescriptionFor(caseId: string, output: unknown = `next-${caseId}`): CasePrescription {
  return {
    caseId,
    prescription: { type: "NEXT_ACTIVITY", output, detail: "", model: { name: "m" } },
  };
}

describeEachDialect("prescription answers: the ack rules", (dialect) => {
  const env = freshCorePerTest(dialect, { deferStart: true });

  /** A trained project of key "k" (plus "other"), a job of 4 cases, and k's request delivered. */
  async function delivered(options: { timeoutMs?: number } = {}) {
    const core = await env.start({ prescriptionTimeoutMs: options.timeoutMs });
    const k = await env.connect("k", { prescribes: true });
    const other = await env.connect("other", { prescribes: true });
    const project = await trainedProject(core, [k, other]);
    const job = await storePrescriptionJob(core.core, project.id, runningCases(4));
    const request = await k.prescriptionRequests.next();
    const otherRequest = await other.prescriptionRequests.next();
    return { core, k, other, project, job, request, otherRequest };
  }

  it("delivers the request with what the plugin needs, and stores it RUNNING with a deadline", async () => {
    const before = Date.now();
    const { core, project, job, request } = await delivered({ timeoutMs: 300_000 });
    expect(request).toMatchObject({
      requestId: job.requests.get("k"),
      projectId: project.id,
      modelName: expect.stringContaining("k-"),
      input: { $case: "datasetName", value: job.casesBlobId },
    });
    expect(request.pluginId).toBe(project.plugins.find((p) => p.key === "k")?.pluginId);
    const { requests } = await readJob(core.core, job.jobId);
    const row = requests.find((r) => r.id === request.requestId);
    expect(row.status).toBe("RUNNING");
    expect(Number(row.first_delivered_ms)).toBeGreaterThanOrEqual(before);
    expect(Number(row.deadline_ms)).toBe(Number(row.first_delivered_ms) + 300_000);
  });

  it("answers NOT_FOUND for an unknown request and PERMISSION_DENIED for another key's", async () => {
    const { k, otherRequest } = await delivered();
    const unknown = await k.answer("rq_nope", [prescriptionFor("c0000")]);
    expect(unknown.code).toBe(status.NOT_FOUND);
    expect(unknown.message).toContain("rq_nope");
    const foreign = await k.answer(otherRequest.requestId, [prescriptionFor("c0000")]);
    expect(foreign.code).toBe(status.PERMISSION_DENIED);
    expect(foreign.message).toContain('"other"');
    expect((await k.prescriptionError("rq_nope", "x")).code).toBe(status.NOT_FOUND);
  });

  it("stores parts, keeps a case's first prescription, and finishes with the last part", async () => {
    const { core, k, job, request } = await delivered();
    const id = request.requestId;
    expect((await k.answer(id, [prescriptionFor("c0000"), prescriptionFor("c0001")])).code).toBe(0);
    // c0001 again with another output: the first one stays; c0002 is new.
    const again = [
      prescriptionFor("c0001", "changed"),
      prescriptionFor("c0002", { a: [1, true, null] }),
    ];
    expect((await k.answer(id, again)).code).toBe(0);
    let { requests, job: row } = await readJob(core.core, job.jobId);
    expect(requests.find((r) => r.id === id)).toMatchObject({ status: "RUNNING" });
    expect(Number(requests.find((r) => r.id === id).cases_done)).toBe(3);
    expect(row.status).toBe("RUNNING");
    expect((await k.answer(id, [prescriptionFor("c0003")], true)).code).toBe(0);
    ({ requests, job: row } = await readJob(core.core, job.jobId));
    const done = requests.find((r) => r.id === id);
    expect(done).toMatchObject({ status: "DONE", deadline_ms: null });
    expect(Number(done.cases_done)).toBe(4);
    expect(row.status).toBe("RUNNING"); // "other" has not answered
    const results = await storedResults(core.core, id);
    expect(results.get("c0001")?.output).toBe("next-c0001");
    expect(results.get("c0002")?.output).toEqual({ a: [1, true, null] });
    expect(results.get("c0000")?.model).toEqual({ name: "m" });
    expect(results.size).toBe(4);
  });

  it("acks an exact repeat with 0 even after the last part, and refuses anything else then", async () => {
    const { core, k, job, request } = await delivered();
    const id = request.requestId;
    const part = [prescriptionFor("c0000"), prescriptionFor("c0001", { p: 0.5, q: "x" })];
    expect((await k.answer(id, part)).code).toBe(0);
    expect((await k.answer(id, [prescriptionFor("c0002")], true)).code).toBe(0);
    // The same parts again (an SDK re-sending after a reconnect), keys in another order too.
    expect((await k.answer(id, part)).code).toBe(0);
    const reordered = [prescriptionFor("c0001", { q: "x", p: 0.5 }), prescriptionFor("c0000")];
    expect((await k.answer(id, reordered)).code).toBe(0);
    expect((await k.answer(id, [prescriptionFor("c0002")], true)).code).toBe(0);
    // Anything else after the last part.
    const late = await k.answer(id, [prescriptionFor("c0003")]);
    expect(late.code).toBe(status.FAILED_PRECONDITION);
    expect(late.message).toContain("DONE");
    const changed = await k.answer(id, [prescriptionFor("c0000", "other")]);
    expect(changed.code).toBe(status.FAILED_PRECONDITION);
    const error = await k.prescriptionError(id, "too late");
    expect(error.code).toBe(status.FAILED_PRECONDITION);
    const { requests } = await readJob(core.core, job.jobId);
    expect(Number(requests.find((r) => r.id === id).cases_done)).toBe(3);
  });

  it("refuses parts after a PrescriptionError, and accepts the same error again", async () => {
    const { core, k, job, request } = await delivered();
    const id = request.requestId;
    expect((await k.answer(id, [prescriptionFor("c0000")])).code).toBe(0);
    expect((await k.prescriptionError(id, "model file missing")).code).toBe(0);
    expect((await k.prescriptionError(id, "model file missing")).code).toBe(0);
    const other = await k.prescriptionError(id, "something else");
    expect(other.code).toBe(status.FAILED_PRECONDITION);
    const part = await k.answer(id, [prescriptionFor("c0001")]);
    expect(part.code).toBe(status.FAILED_PRECONDITION);
    expect(part.message).toContain("PrescriptionError");
    // The part stored before the error is still an exact repeat.
    expect((await k.answer(id, [prescriptionFor("c0000")])).code).toBe(0);
    const { requests } = await readJob(core.core, job.jobId);
    expect(requests.find((r) => r.id === id)).toMatchObject({
      status: "ERROR",
      detail: "model file missing",
    });
  });

  it("refuses parts after the deadline, before and after the sweeper marked it", async () => {
    const { core, k, job, request } = await delivered({ timeoutMs: 5_000 });
    const id = request.requestId;
    expect((await k.answer(id, [prescriptionFor("c0000")])).code).toBe(0);
    const db = core.core.store.db;
    // Past the deadline, before any sweep: refused all the same.
    await db("prescription_requests")
      .where({ id })
      .update({ deadline_ms: Date.now() - 1 });
    const late = await k.answer(id, [prescriptionFor("c0001")]);
    expect(late.code).toBe(status.FAILED_PRECONDITION);
    expect(late.message).toContain("deadline");
    expect((await k.answer(id, [prescriptionFor("c0000")])).code).toBe(0); // exact repeat
    await expect
      .poll(
        async () => (await readJob(core.core, job.jobId)).requests.find((r) => r.id === id).status,
        { timeout: 10_000 },
      )
      .toBe("TIMED_OUT");
    const row = (await readJob(core.core, job.jobId)).requests.find((r) => r.id === id);
    expect(row.detail).toContain("CORE_PRESCRIPTION_TIMEOUT_MS");
    const after = await k.answer(id, [prescriptionFor("c0002")], true);
    expect(after.code).toBe(status.FAILED_PRECONDITION);
    expect(after.message).toContain("TIMED_OUT");
  });

  it("refuses an unknown case and malformed prescriptions, storing nothing of the part", async () => {
    const { core, k, request } = await delivered();
    const id = request.requestId;
    const unknown = await k.answer(id, [prescriptionFor("c0000"), prescriptionFor("nope")]);
    expect(unknown.code).toBe(status.INVALID_ARGUMENT);
    expect(unknown.message).toContain('"nope"');
    const cases: [CasePrescription, string][] = [
      [prescriptionFor(""), "case_id is empty"],
      [{ caseId: "c0000", prescription: undefined }, "no prescription"],
      [
        {
          ...prescriptionFor("c0000"),
          prescription: { type: "T".repeat(201), output: 1, detail: "", model: {} },
        },
        "type",
      ],
      [
        {
          ...prescriptionFor("c0000"),
          prescription: { type: "T", output: Number.NaN, detail: "", model: {} },
        },
        "finite",
      ],
    ];
    for (const [bad, reason] of cases) {
      const ack = await k.answer(id, [bad]);
      expect(ack.code, reason).toBe(status.INVALID_ARGUMENT);
      expect(ack.message).toContain(reason);
    }
    const twice = await k.answer(id, [prescriptionFor("c0000"), prescriptionFor("c0000")]);
    expect(twice.code).toBe(status.INVALID_ARGUMENT);
    expect((await storedResults(core.core, id)).size).toBe(0);
  });

  it("finishes the job once every request finished", async () => {
    const { core, k, other, job, request, otherRequest } = await delivered();
    expect((await k.answer(request.requestId, [prescriptionFor("c0000")], true)).code).toBe(0);
    expect((await other.prescriptionError(otherRequest.requestId, "cannot")).code).toBe(0);
    const { job: row, requests } = await readJob(core.core, job.jobId);
    expect(row.status).toBe("DONE");
    expect(Number(row.finished_ms)).toBeGreaterThan(0);
    expect(requests.map((r) => r.status).sort()).toEqual(["DONE", "ERROR"]);
  });
});
