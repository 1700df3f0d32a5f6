/**
 * A prescription job stored straight into the database, as PrescribeDataset would leave it once
 * prepared: the running-cases CSV as a blob, the job RUNNING, its cases in order, and one request
 * per membership (WAITING for keys that prescribe, NOT_SERVING otherwise). Then the core is told
 * there is work, as PrescribeDataset does.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Knex } from "knex";
import type { RunningCore } from "../../src/core.js";
import { insertCompleteBlob, newBlobId } from "../../src/store/sql/blobs.js";

export interface RunningCase {
  readonly caseId: string;
  /** Activities in time order; one event each, an hour apart. */
  readonly activities: readonly string[];
}

export interface StoredJob {
  readonly jobId: string;
  readonly casesBlobId: string;
  /** Request id per plugin key. */
  readonly requests: Map<string, string>;
  readonly caseIds: string[];
}

/** `n` cases c0000.. with two or three events. */
export function runningCases(n: number): RunningCase[] {
  return Array.from({ length: n }, (_, i) => ({
    caseId: `c${String(i).padStart(4, "0")}`,
    activities: i % 2 === 0 ? ["register", "check"] : ["register", "check", "decide"],
  }));
}

/** The normalized running-cases CSV of `cases`. */
export function runningCasesCsv(cases: readonly RunningCase[]): string {
  const lines = ["CASE_ID,ACTIVITY,TIMESTAMP"];
  for (const c of cases) {
    c.activities.forEach((activity, i) => {
      const time = new Date(Date.UTC(2024, 0, 1, i)).toISOString();
      lines.push(`${c.caseId},${activity},${time}`);
    });
  }
  return `${lines.join("\n")}\n`;
}

export async function storePrescriptionJob(
  core: RunningCore,
  projectId: number,
  cases: readonly RunningCase[],
  options: { timeoutMs?: number; prescribingKeys?: readonly string[] } = {},
): Promise<StoredJob> {
  const db: Knex = core.store.db;
  const nowMs = Date.now();
  const csv = Buffer.from(runningCasesCsv(cases));
  const casesBlobId = newBlobId("rc");
  const jobId = `job_${randomBytes(12).toString("hex")}`;
  const requests = new Map<string, string>();
  const prescribing =
    options.prescribingKeys ??
    ((await db("plugins").select("key").where({ prescribes: true })) as { key: string }[]).map(
      (row) => row.key,
    );
  await db.transaction(async (trx) => {
    await insertCompleteBlob(
      trx,
      {
        id: casesBlobId,
        nowMs,
        sizeBytes: csv.length,
        sha256: createHash("sha256").update(csv).digest("hex"),
      },
      [{ seq: 0, startOffset: 0, data: csv }],
    );
    await trx("prescription_jobs").insert({
      id: jobId,
      project_id: projectId,
      request_id: null,
      status: "RUNNING",
      error: "",
      raw_blob_id: casesBlobId,
      cases_blob_id: casesBlobId,
      cases: cases.length,
      preparing_replica: null,
      created_ms: nowMs,
      updated_ms: nowMs,
      finished_ms: null,
    });
    const rows = cases.map((c, ordinal) => ({ job_id: jobId, ordinal, case_id: c.caseId }));
    for (let i = 0; i < rows.length; i += 500) {
      await trx("job_cases").insert(rows.slice(i, i + 500));
    }
    const memberships: { id: number; plugin_key: string }[] = await trx("memberships")
      .select("id", "plugin_key")
      .where({ project_id: projectId })
      .orderBy("id");
    for (const m of memberships) {
      const serves = prescribing.includes(m.plugin_key);
      const id = `rq_${randomBytes(12).toString("hex")}`;
      requests.set(m.plugin_key, id);
      await trx("prescription_requests").insert({
        id,
        job_id: jobId,
        membership_id: m.id,
        plugin_key: m.plugin_key,
        status: serves ? "WAITING" : "NOT_SERVING",
        detail: serves ? "" : `plugin "${m.plugin_key}" does not prescribe`,
        cases_done: 0,
        deadline_ms: serves ? nowMs + (options.timeoutMs ?? 600_000) : null,
        first_delivered_ms: null,
        claim_replica: null,
        claim_expires_ms: null,
        created_ms: nowMs,
        updated_ms: nowMs,
      });
    }
  });
  core.feed.workAvailable(prescribing);
  return { jobId, casesBlobId, requests, caseIds: cases.map((c) => c.caseId) };
}

/** The job's row and its requests' rows. */
export async function readJob(core: RunningCore, jobId: string) {
  const db = core.store.db;
  const job = await db("prescription_jobs").where({ id: jobId }).first();
  const requests = await db("prescription_requests").where({ job_id: jobId }).orderBy("id");
  return { job, requests };
}

/** The stored prescriptions of a request, by case id. */
export async function storedResults(
  core: RunningCore,
  requestId: string,
): Promise<Map<string, { type: string; output: unknown; detail: string; model: unknown }>> {
  const db = core.store.db;
  const rows: {
    case_id: string;
    type: string;
    output_json: string;
    detail: string;
    model_json: string;
  }[] = await db("prescription_results as r")
    .join("prescription_requests as q", "q.id", "r.request_id")
    .join("job_cases as c", function () {
      this.on("c.job_id", "=", "q.job_id").andOn("c.ordinal", "=", "r.case_ordinal");
    })
    .where("r.request_id", requestId)
    .select("c.case_id", "r.type", "r.output_json", "r.detail", "r.model_json");
  return new Map(
    rows.map((r) => [
      r.case_id,
      {
        type: r.type,
        output: JSON.parse(r.output_json),
        detail: r.detail,
        model: JSON.parse(r.model_json),
      },
    ]),
  );
}
