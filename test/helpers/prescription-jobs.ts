// Prescription jobs in tests: a TRAINED event-log project with plugins that prescribe, the
// PrescriptionService client, and what the plugin side will write (request status, result rows)
// written directly, so the consumer side can be tested on its own.
import { credentials, type ServiceError } from "@grpc/grpc-js";
import type { Knex } from "knex";
import {
  ColumnDefinition,
  type EventLogDefinition,
  Operator,
} from "../../src/gen/trainingcore/v1/definition.js";
import {
  type GetPrescriptionJobResponse,
  type ListPrescriptionsResponse,
  type PrescribeDatasetRequest,
  type PrescribeDatasetResponse,
  type PrescriptionJob,
  PrescriptionServiceClient,
} from "../../src/gen/trainingcore/v1/prescription_service.js";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { readBlobChunks } from "../../src/store/sql/blobs.js";
import type { FreshCore } from "./fresh-core.js";
import { createProject, getProject, watchToEnd } from "./projects.js";

/** Two cases; c2 comes first in the file, c1's events are out of time order. */
export const runningLog = [
  "case,activity,timestamp,who",
  "c2,register,2024-01-02T07:00:00Z,ann",
  "c1,register,2024-01-01T10:00:00Z,ann",
  "c1,check,2024-01-01T09:00:00Z,bob",
  "",
].join("\n");

/** `who` is the RESOURCE; OUTCOME and TREATMENT labels in the training set. */
export const runningLogDefinition: EventLogDefinition = {
  columns: { who: ColumnDefinition.COLUMN_DEFINITION_RESOURCE },
  caseAttributes: [],
  positiveOutcome: {
    anyOf: [
      { conditions: [{ column: "ACTIVITY", operator: Operator.OPERATOR_EQUAL, value: "check" }] },
    ],
  },
  negativeOutcome: undefined,
  treatment: {
    anyOf: [
      { conditions: [{ column: "RESOURCE", operator: Operator.OPERATOR_EQUAL, value: "bob" }] },
    ],
  },
};

export interface TrainedProject {
  readonly projectId: number;
  readonly jobs: PrescriptionServiceClient;
}

/**
 * A project of `dataset` with `definition`, TRAINED by one plugin per key (`prescribing` keys set
 * OnlineReport.prescribes); and a PrescriptionService client, closed after the test.
 */
export async function trainedProject(
  env: FreshCore,
  keys: { prescribing: readonly string[]; other?: readonly string[] },
  dataset: string = runningLog,
  definition: EventLogDefinition | undefined = runningLogDefinition,
): Promise<TrainedProject> {
  const all = [...keys.prescribing, ...(keys.other ?? [])];
  const plugins = await Promise.all(
    all.map((key) => env.connect(key, { prescribes: keys.prescribing.includes(key) })),
  );
  const created = await createProject(env.core.projects, {
    datasetCsv: Buffer.from(dataset),
    holdoutFraction: 0,
    pluginKeys: all,
    definition,
  });
  for (const plugin of plugins) await plugin.train(await plugin.trainingData.next());
  await watchToEnd(env.core.projects, created.id);
  const project = await getProject(env.core.projects, created.id);
  if (project.status !== ProjectStatus.PROJECT_STATUS_TRAINED) {
    throw new Error(`the project is ${ProjectStatus[project.status]}: ${project.error}`);
  }
  return { projectId: created.id, jobs: jobsClient(env) };
}

export function jobsClient(env: FreshCore): PrescriptionServiceClient {
  return env.track(new PrescriptionServiceClient(env.core.address, credentials.createInsecure()));
}

/** A unary call as a promise: `call((done) => client.getPrescriptionJob(request, done))`. */
export function call<Res>(
  start: (done: (error: ServiceError | null, response: Res) => void) => unknown,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    start((error, response) => (error ? reject(error) : resolve(response))),
  );
}

export async function prescribe(
  client: PrescriptionServiceClient,
  request: Partial<PrescribeDatasetRequest>,
): Promise<PrescriptionJob> {
  const full = {
    projectId: 0,
    datasetCsv: Buffer.alloc(0),
    datasetId: "",
    requestId: "",
    ...request,
  };
  const response = await call<PrescribeDatasetResponse>((done) =>
    client.prescribeDataset(full, done),
  );
  if (!response.job) throw new Error("PrescribeDataset returned no job");
  return response.job;
}

export async function getJob(
  client: PrescriptionServiceClient,
  jobId: string,
): Promise<PrescriptionJob> {
  const response = await call<GetPrescriptionJobResponse>((done) =>
    client.getPrescriptionJob({ jobId }, done),
  );
  if (!response.job) throw new Error("GetPrescriptionJob returned no job");
  return response.job;
}

/** Every message of WatchPrescriptionJob, and how it ended. */
export function watchJob(
  client: PrescriptionServiceClient,
  jobId: string,
  onJob: (job: PrescriptionJob) => void = () => {},
): Promise<{ jobs: PrescriptionJob[]; error: ServiceError | undefined }> {
  return new Promise((resolve) => {
    const jobs: PrescriptionJob[] = [];
    const stream = client.watchPrescriptionJob({ jobId });
    let error: ServiceError | undefined;
    stream.on("data", (message: { job?: PrescriptionJob }) => {
      if (message.job) {
        jobs.push(message.job);
        onJob(message.job);
      }
    });
    stream.on("error", (e: ServiceError) => {
      error = e;
    });
    stream.on("status", () => setImmediate(() => resolve({ jobs, error })));
  });
}

/** Watches the job until it is DONE or ERROR; returns it then. */
export async function jobToEnd(
  client: PrescriptionServiceClient,
  jobId: string,
): Promise<PrescriptionJob> {
  const { jobs, error } = await watchJob(client, jobId);
  if (error) throw error;
  const last = jobs[jobs.length - 1];
  if (!last) throw new Error("the watch sent nothing");
  return last;
}

export async function listAllPrescriptions(
  client: PrescriptionServiceClient,
  jobId: string,
  pageSize = 0,
): Promise<{ pages: ListPrescriptionsResponse[] }> {
  const pages: ListPrescriptionsResponse[] = [];
  let pageToken = "";
  do {
    const request = { jobId, pageSize, pageToken };
    const page = await call<ListPrescriptionsResponse>((done) =>
      client.listPrescriptions(request, done),
    );
    pages.push(page);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return { pages };
}

/** What the plugin side stores for one answered case (written directly by tests). */
export interface ResultRow {
  readonly caseId: string;
  readonly output: unknown;
  readonly type?: string;
  readonly detail?: string;
  readonly model?: Record<string, unknown>;
}

/**
 * As the plugin side will: stores `results` for the request of `key` in the job, sets the
 * request to `status` (with `detail`) and its `cases_done`, and the job DONE when no request is
 * WAITING or RUNNING any more; one transaction. Call `feed.jobChanged` after it.
 */
export async function answerRequest(
  db: Knex,
  jobId: string,
  key: string,
  status: "RUNNING" | "DONE" | "ERROR" | "TIMED_OUT",
  results: readonly ResultRow[],
  detail = "",
): Promise<void> {
  await db.transaction(async (trx) => {
    const request = await trx("prescription_requests")
      .where({ job_id: jobId, plugin_key: key })
      .first();
    if (!request) throw new Error(`no request of ${key} in ${jobId}`);
    const cases: { ordinal: number; case_id: string }[] = await trx("job_cases").where({
      job_id: jobId,
    });
    const ordinals = new Map(cases.map((c) => [c.case_id, Number(c.ordinal)]));
    for (const result of results) {
      await trx("prescription_results").insert({
        request_id: request.id,
        case_ordinal: ordinals.get(result.caseId),
        type: result.type ?? "NEXT_ACTIVITY",
        output_json: JSON.stringify(result.output),
        detail: result.detail ?? "",
        model_json: JSON.stringify(result.model ?? {}),
      });
    }
    const nowMs = Date.now();
    await trx("prescription_requests")
      .where({ id: request.id })
      .update({
        status,
        detail,
        cases_done: Number(request.cases_done) + results.length,
        deadline_ms: status === "RUNNING" ? request.deadline_ms : null,
        updated_ms: nowMs,
      });
    const open = await trx("prescription_requests")
      .where({ job_id: jobId })
      .whereIn("status", ["WAITING", "RUNNING"])
      .count<{ n: number | string }[]>({ n: "*" });
    if (Number(open[0]?.n) === 0) {
      await trx("prescription_jobs")
        .where({ id: jobId })
        .update({ status: "DONE", finished_ms: nowMs, updated_ms: nowMs });
    }
  });
}

/** The running-cases set of a prepared job, as stored. */
export async function runningCasesSet(db: Knex, jobId: string): Promise<string> {
  const job = await db("prescription_jobs").where({ id: jobId }).first();
  if (!job?.cases_blob_id) throw new Error(`job ${jobId} has no running-cases set`);
  const blob = await db("blobs").where({ id: job.cases_blob_id }).first();
  const chunks: Buffer[] = [];
  for await (const chunk of readBlobChunks(db, blob.id, 0, Number(blob.size_bytes))) {
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString("utf8");
}
