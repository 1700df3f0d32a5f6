// The running-cases set of a real log: receipt.csv cut to some hundred cases and shuffled so
// that cases interleave; every case contiguous, in time order with ties in file order, cases in
// the order of their first row, no label columns; its XES twin gives the same bytes. A dataset
// that cannot be read puts the job in ERROR and leaves no set behind; a job left PREPARING by a
// core that stopped is prepared by the next one.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { parse } from "csv-parse/sync";
import type { Knex } from "knex";
import { expect, it } from "vitest";
import { prescribeDataset } from "../../src/app/prescriptions/jobs/prescribe-dataset.js";
import { Operator } from "../../src/gen/trainingcore/v1/definition.js";
import { JobPluginStatus, JobStatus } from "../../src/gen/trainingcore/v1/prescription_service.js";
import { openStore } from "../../src/store/connect.js";
import { storedBlobParts } from "../helpers/blobs.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import {
  getJob,
  jobsClient,
  jobToEnd,
  prescribe,
  runningCasesSet,
  runningLog,
  trainedProject,
} from "../helpers/prescription-jobs.js";
import { xesTwinOf } from "../helpers/xes.js";

const receiptPath = fileURLToPath(new URL("../../../shared/data/receipt.csv", import.meta.url));
const hasReceipt = existsSync(receiptPath);

/** The header and the first `lines - 1` rows of receipt.csv (about 420 cases for 2,500). */
function receiptCut(lines: number): { header: string; rows: string[] } {
  const [header, ...rows] = readFileSync(receiptPath, "utf8").split("\n").slice(0, lines);
  return { header: header as string, rows };
}

/** The rows reordered so that cases interleave (every 7th row, then the next 7th, …). */
function interleaved(rows: readonly string[]): string[] {
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => (a.index % 7) - (b.index % 7) || a.index - b.index)
    .map(({ row }) => row);
}

const receiptDefinition = {
  columns: {},
  caseAttributes: ["case:channel", "case:department"],
  positiveOutcome: {
    anyOf: [
      {
        conditions: [
          { column: "DURATION", operator: Operator.OPERATOR_LESS_THAN_OR_EQUAL, value: "7 days" },
        ],
      },
    ],
  },
  negativeOutcome: undefined,
  treatment: {
    anyOf: [
      {
        conditions: [
          {
            column: "ACTIVITY",
            operator: Operator.OPERATOR_EQUAL,
            value: "T02 Check confirmation of receipt",
          },
        ],
      },
    ],
  },
};

describeEachDialect("prescription job preparation", (dialect) => {
  const env = freshCorePerTest(dialect);

  /** Stops the core, runs `change` on its database, starts a new core; `change`'s result. */
  async function whileStopped<T>(change: (db: Knex) => Promise<T>): Promise<T> {
    await env.core.stop();
    const store = await openStore(env.database.url);
    let result: T;
    try {
      result = await change(store.db);
    } finally {
      await store.close();
    }
    await env.start();
    return result;
  }

  /** A job stored as PrescribeDataset stores it, its preparation not started: as after a crash. */
  async function storeJob(db: Knex, projectId: number): Promise<string> {
    const { job } = await prescribeDataset(
      { projectId, datasetCsv: Buffer.from(runningLog), datasetId: "", requestId: "" },
      { db, maxDatasetBytes: 1 << 20 },
    );
    return job.jobId;
  }

  it.skipIf(!hasReceipt)(
    "makes the running cases of receipt.csv: contiguous, time order, ties in file order, no labels; gzip and XES alike",
    async () => {
      const { header, rows } = receiptCut(2500);
      const { projectId, jobs } = await trainedProject(
        env,
        { prescribing: ["alarm"] },
        [header, ...rows, ""].join("\n"),
        receiptDefinition,
      );
      const shuffled = interleaved(rows.filter((row) => row !== ""));
      const csv = [header, ...shuffled, ""].join("\n");
      const job = await prescribe(jobs, { projectId, datasetCsv: Buffer.from(csv) });
      const gzip = await prescribe(jobs, { projectId, datasetCsv: gzipSync(csv) });
      const xes = await prescribe(jobs, {
        projectId,
        datasetCsv: Buffer.from(
          xesTwinOf(csv, "case:concept:name", { types: { "time:timestamp": "date" } }),
        ),
      });
      await env.core.core.preparationIdle();
      const db = env.core.core.store.db;
      const set = await runningCasesSet(db, job.jobId);
      expect(await runningCasesSet(db, xes.jobId)).toBe(set);
      expect(await runningCasesSet(db, gzip.jobId)).toBe(set);

      const input: Record<string, string>[] = parse(csv, { columns: true });
      const output: Record<string, string>[] = parse(set, { columns: true });
      const columns = Object.keys(output[0] ?? {});
      expect(columns.slice(0, 3)).toEqual(["CASE_ID", "ACTIVITY", "TIMESTAMP"]);
      for (const label of ["OUTCOME", "TREATMENT", "TREATMENT_RESOURCE"]) {
        expect(columns).not.toContain(label);
      }
      expect(output).toHaveLength(input.length);

      // Cases in the order of their first row in the file, each contiguous.
      const firstSeen = [...new Set(input.map((row) => row["case:concept:name"] as string))];
      const cases = output.map((row) => row.CASE_ID as string);
      const blocks = cases.filter((id, i) => id !== cases[i - 1]);
      expect(blocks).toEqual(firstSeen);
      expect(firstSeen.length).toBeGreaterThan(300);

      // Time order within a case; equal times in file order.
      const position = new Map(input.map((row, i) => [row["concept:instance"], i]));
      const instance = "EVENT_ATTRIBUTE_TEXT_concept:instance";
      for (let i = 1; i < output.length; i++) {
        const [before, row] = [output[i - 1], output[i]] as Record<string, string>[];
        if (before?.CASE_ID !== row?.CASE_ID) continue;
        const [t0, t1] = [before?.TIMESTAMP as string, row?.TIMESTAMP as string];
        expect(t0 <= t1).toBe(true);
        if (t0 === t1) {
          expect(position.get(before?.[instance])).toBeLessThan(
            position.get(row?.[instance]) as number,
          );
        }
      }
      expect(output[0]?.TIMESTAMP).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

      // job_cases: the set's cases, in its order.
      const recorded = await db("job_cases").where({ job_id: job.jobId }).orderBy("ordinal");
      expect(recorded.map((row: { case_id: string }) => row.case_id)).toEqual(firstSeen);
      expect((await getJob(jobs, job.jobId)).cases).toBe(firstSeen.length);
    },
    120_000,
  );

  it("puts a job whose dataset cannot be read in ERROR, with where, and keeps no set", async () => {
    const { projectId, jobs } = await trainedProject(env, { prescribing: ["alarm"] });
    const bad = `${runningLog}c3,pay,not a time,ann\n`;
    const job = await prescribe(jobs, { projectId, datasetCsv: Buffer.from(bad) });
    const ended = await jobToEnd(jobs, job.jobId);
    expect(ended.status).toBe(JobStatus.JOB_STATUS_ERROR);
    expect(ended.error).toMatch(/^dataset: line 5: .*timestamp.*"not a time"/);
    expect(ended.finishedAt).toBeInstanceOf(Date);
    expect(ended.plugins).toEqual([]);
    expect(await storedBlobParts(env.core.core.store.db, "rc_")).toEqual({ blobs: 0, stored: 0 });
  });

  it("prepares a job left PREPARING by a core that stopped", async () => {
    const { projectId } = await trainedProject(env, { prescribing: ["alarm"] });
    // Stored as PrescribeDataset stores it, claimed by a replica that died before preparing it.
    const jobId = await whileStopped(async (db) => {
      const id = await storeJob(db, projectId);
      await db("prescription_jobs").where({ id }).update({ preparing_replica: "gone" });
      return id;
    });
    const jobs = jobsClient(env);
    await env.core.core.preparationIdle();
    const resumed = await getJob(jobs, jobId);
    expect(resumed).toMatchObject({ status: JobStatus.JOB_STATUS_RUNNING, cases: 2 });
    expect(resumed.plugins.map((p) => p.key)).toEqual(["alarm"]);
  });

  it("puts a job in ERROR when, by the time it is prepared, no plugin of it prescribes", async () => {
    const { projectId } = await trainedProject(env, { prescribing: ["alarm"] });
    const jobId = await whileStopped(async (db) => {
      const id = await storeJob(db, projectId);
      // The key registered again meanwhile, without prescribes.
      await db("plugins").where({ key: "alarm" }).update({ prescribes: false });
      return id;
    });
    const jobs = jobsClient(env);
    const ended = await jobToEnd(jobs, jobId);
    expect(ended).toMatchObject({
      status: JobStatus.JOB_STATUS_ERROR,
      error: "no plugin serves: none of the TRAINED plugins (alarm) answers prescription requests",
      cases: 2,
    });
    expect(ended.plugins.map((p) => [p.key, p.status])).toEqual([
      ["alarm", JobPluginStatus.JOB_PLUGIN_STATUS_NOT_SERVING],
    ]);
  });
});
