/** Prescription jobs as consumers see them: the job row with its plugins' parts. */
import type { Knex } from "knex";
import { AppError } from "../../../domain/errors.js";
import type { PrescriptionJobRow, PrescriptionRequestRow } from "../../../store/rows.js";
import { requestsOfJobs } from "../../../store/sql/job-requests.js";
import { findJob, listJobsOfProject } from "../../../store/sql/prescription-jobs.js";
import { findProject } from "../../../store/sql/projects.js";

export interface JobPluginView {
  readonly pluginId: number;
  readonly key: string;
  readonly status: string;
  readonly casesDone: number;
  readonly detail: string;
}

export interface JobView {
  readonly jobId: string;
  readonly projectId: number;
  readonly status: string;
  readonly error: string;
  readonly cases: number;
  readonly plugins: readonly JobPluginView[];
  readonly createdMs: number;
  readonly finishedMs: number | null;
  readonly requestId: string;
}

export function jobView(
  job: PrescriptionJobRow,
  requests: readonly PrescriptionRequestRow[],
): JobView {
  return {
    jobId: job.id,
    projectId: Number(job.project_id),
    status: job.status,
    error: job.error,
    cases: Number(job.cases),
    plugins: requests
      .filter((request) => request.job_id === job.id)
      .map((request) => ({
        pluginId: request.membership_id,
        key: request.plugin_key,
        status: request.status,
        casesDone: request.cases_done,
        detail: request.detail,
      })),
    createdMs: Number(job.created_ms),
    finishedMs: job.finished_ms === null ? null : Number(job.finished_ms),
    requestId: job.request_id ?? "",
  };
}

export function jobNotFound(jobId: string): AppError {
  return new AppError("NOT_FOUND", `no prescription job "${jobId.slice(0, 100)}"`);
}

/** The job, or NOT_FOUND. */
export async function getJob(db: Knex, jobId: string): Promise<JobView> {
  const job = await readJob(db, jobId);
  if (!job) throw jobNotFound(jobId);
  return job;
}

/** The job, or undefined when there is none. */
export async function readJob(db: Knex, jobId: string): Promise<JobView | undefined> {
  const job = jobId === "" ? undefined : await findJob(db, jobId);
  return job && jobView(job, await requestsOfJobs(db, [job.id]));
}

export interface JobPage {
  readonly jobs: readonly JobView[];
  readonly nextPageToken: string;
}

const defaultJobPageSize = 50;
const maxJobPageSize = 500;

/** A project's jobs, newest first, a page at a time (NOT_FOUND for an unknown project). */
export async function listJobPage(
  db: Knex,
  projectId: number,
  pageSize: number,
  pageToken: string,
): Promise<JobPage> {
  if (!(await findProject(db, projectId))) {
    throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
  }
  const size = pageSize <= 0 ? defaultJobPageSize : Math.min(pageSize, maxJobPageSize);
  const after = pageToken === "" ? undefined : decodeJobToken(pageToken);
  const rows = await listJobsOfProject(db, projectId, size + 1, after);
  const page = rows.slice(0, size);
  const requests = await requestsOfJobs(
    db,
    page.map((job) => job.id),
  );
  const last = page[page.length - 1];
  return {
    jobs: page.map((job) => jobView(job, requests)),
    nextPageToken:
      rows.length > size && last ? encodeToken({ c: Number(last.created_ms), i: last.id }) : "",
  };
}

export function encodeToken(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

/** The parsed token, or INVALID_ARGUMENT. */
export function decodeToken(token: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (value !== null && typeof value === "object") return value as Record<string, unknown>;
  } catch {}
  throw new AppError("INVALID_ARGUMENT", "page_token is not one this service gave out");
}

function decodeJobToken(token: string): { createdMs: number; id: string } {
  const { c, i } = decodeToken(token);
  if (typeof c !== "number" || typeof i !== "string") {
    throw new AppError("INVALID_ARGUMENT", "page_token is not one this service gave out");
  }
  return { createdMs: c, id: i };
}
