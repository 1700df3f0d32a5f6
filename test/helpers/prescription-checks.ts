/**
 * For crash and replica tests of prescription jobs: the datasets, calls that ride out a core
 * that is down (UNAVAILABLE is retried), and the check that every case of a finished job has
 * exactly one prescription per plugin — through ListPrescriptions and in the stored rows.
 */
import { credentials, type ServiceError, status } from "@grpc/grpc-js";
import { expect } from "vitest";
import type { EventLogDefinition } from "../../src/gen/trainingcore/v1/definition.js";
import {
  JobPluginStatus,
  JobStatus,
  type PrescriptionJob,
  PrescriptionServiceClient,
} from "../../src/gen/trainingcore/v1/prescription_service.js";
import { openStore } from "../../src/store/connect.js";
import { getJob, listAllPrescriptions } from "./prescription-jobs.js";
import { fastReconnectOptions } from "./resilient-plugin.js";

const activities = ["register", "check", "review", "approve"];

/** Empty: the columns (case, activity, timestamp) are inferred; prescribing needs a definition. */
export const inferredDefinition: EventLogDefinition = {
  columns: {},
  caseAttributes: [],
  positiveOutcome: undefined,
  negativeOutcome: undefined,
  treatment: undefined,
};

/** A training set of 50 cases of 4 events. */
export function trainingCsv(): Buffer {
  const lines = ["case,activity,timestamp"];
  for (let c = 0; c < 50; c++) {
    activities.forEach((activity, e) => {
      lines.push(`t${c},${activity},${new Date(Date.UTC(2023, 0, 1, c, e)).toISOString()}`);
    });
  }
  return Buffer.from(`${lines.join("\n")}\n`);
}

/** `cases` running cases (`r0000`, ...) of 1 to 4 events; the case ids in file order. */
export function runningCasesCsv(cases: number): {
  csv: Buffer;
  caseIds: string[];
  events: number[];
} {
  const lines = ["case,activity,timestamp"];
  const caseIds: string[] = [];
  const events: number[] = [];
  for (let c = 0; c < cases; c++) {
    const caseId = `r${String(c).padStart(4, "0")}`;
    const n = 1 + (c % activities.length);
    caseIds.push(caseId);
    events.push(n);
    for (let e = 0; e < n; e++) {
      lines.push(
        `${caseId},${activities[e]},${new Date(Date.UTC(2024, 0, 1, 0, c, e)).toISOString()}`,
      );
    }
  }
  return { csv: Buffer.from(`${lines.join("\n")}\n`), caseIds, events };
}

/** What test/fixtures/prescribing-plugin answers for a case of `runningCasesCsv`. */
export function expectedOutput(key: string, caseId: string, events: number) {
  return { key, caseId, last: activities[events - 1], events };
}

export function jobsClientAt(address: string): PrescriptionServiceClient {
  return new PrescriptionServiceClient(address, credentials.createInsecure(), fastReconnectOptions);
}

/** Runs `fn` until it does not fail with UNAVAILABLE (a core restarting, a replica gone). */
export async function retryUnavailable<T>(fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if ((error as ServiceError).code !== status.UNAVAILABLE || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * attempt, 300)));
    }
  }
}

/**
 * Polls GetPrescriptionJob (retrying UNAVAILABLE) until the job is DONE or ERROR. Polled, not
 * watched: the core may be killed and restarted meanwhile.
 */
export async function jobFinished(
  client: PrescriptionServiceClient,
  jobId: string,
  timeoutMs = 90_000,
): Promise<PrescriptionJob> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await retryUnavailable(() => getJob(client, jobId));
    if (job.status === JobStatus.JOB_STATUS_DONE || job.status === JobStatus.JOB_STATUS_ERROR) {
      return job;
    }
    if (Date.now() > deadline) {
      throw new Error(`job ${jobId} not finished within ${timeoutMs} ms: ${JSON.stringify(job)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The job is DONE, every plugin of `keys` DONE with every case; ListPrescriptions gives every
 * case in file order with exactly one prescription per key, the fixture's answer; and the store
 * holds exactly one row per case and request (no part lost, none stored twice).
 */
export async function expectEveryCaseOnce(
  client: PrescriptionServiceClient,
  databaseUrl: string,
  job: PrescriptionJob,
  keys: readonly string[],
  running: { caseIds: string[]; events: number[] },
): Promise<void> {
  const cases = running.caseIds.length;
  expect(job.status).toBe(JobStatus.JOB_STATUS_DONE);
  expect(Number(job.cases)).toBe(cases);
  expect(
    job.plugins
      .map((p) => ({ key: p.key, status: p.status, casesDone: Number(p.casesDone) }))
      .sort((a, b) => a.key.localeCompare(b.key)),
  ).toEqual(
    [...keys]
      .sort()
      .map((key) => ({ key, status: JobPluginStatus.JOB_PLUGIN_STATUS_DONE, casesDone: cases })),
  );
  const { pages } = await retryUnavailable(() => listAllPrescriptions(client, job.jobId, 300));
  const listed = pages.flatMap((page) => page.cases);
  expect(listed.map((c) => c.caseId)).toEqual(running.caseIds);
  const wrong: string[] = [];
  for (const [i, result] of listed.entries()) {
    expect(Object.keys(result.prescriptions).sort()).toEqual([...keys].sort());
    for (const key of keys) {
      const output = result.prescriptions[key]?.output;
      const expected = expectedOutput(key, result.caseId, running.events[i] as number);
      if (sortedJson(output) !== sortedJson(expected)) {
        wrong.push(`${result.caseId} ${key}: ${JSON.stringify(output)}`);
      }
    }
  }
  expect(wrong.slice(0, 5)).toEqual([]);

  const store = await openStore(databaseUrl);
  try {
    const rows: { key: string; rows: number | string; ordinals: number | string }[] = await store
      .db("prescription_results as r")
      .join("prescription_requests as q", "q.id", "r.request_id")
      .where("q.job_id", job.jobId)
      .groupBy("q.plugin_key")
      .select("q.plugin_key as key")
      .count({ rows: "*" })
      .countDistinct({ ordinals: "r.case_ordinal" })
      .then((found) => found as unknown as typeof rows);
    expect(
      rows
        .map((r) => ({ key: r.key, rows: Number(r.rows), ordinals: Number(r.ordinals) }))
        .sort((a, b) => String(a.key).localeCompare(String(b.key))),
    ).toEqual([...keys].sort().map((key) => ({ key, rows: cases, ordinals: cases })));
  } finally {
    await store.close();
  }
}

/** JSON of a flat object with its keys sorted (a decoded Struct's key order is not kept). */
function sortedJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  return JSON.stringify(value, Object.keys(value).sort());
}
