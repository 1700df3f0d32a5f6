/**
 * ListPrescriptions: a page of a job's cases in the running-cases set's order, each with every
 * plugin's prescription by key: the stored rows as they are; for a plugin that finished (DONE,
 * ERROR, TIMED_OUT) without a row for the case, a null output with why. A plugin that does not
 * serve, or that may still answer the case, is left out.
 */
import type { Knex } from "knex";
import { AppError } from "../../../domain/errors.js";
import { missingPrescriptionDetail } from "../../../domain/prescription-jobs.js";
import { pageOfJobCases } from "../../../store/sql/job-cases.js";
import { requestsOfJobs, resultsOfCases } from "../../../store/sql/job-requests.js";
import { findJob } from "../../../store/sql/prescription-jobs.js";
import { decodeToken, encodeToken, jobNotFound } from "./job-views.js";

export interface PrescriptionView {
  readonly type: string;
  /** The prescription (any JSON value); null for none. */
  readonly output: unknown;
  readonly detail: string;
  readonly model: Record<string, unknown>;
}

export interface CaseResultView {
  readonly caseId: string;
  /** By plugin key. */
  readonly prescriptions: Readonly<Record<string, PrescriptionView>>;
}

export interface PrescriptionPage {
  readonly cases: readonly CaseResultView[];
  readonly nextPageToken: string;
}

const defaultPageSize = 100;
const maxPageSize = 1000;

export async function listPrescriptions(
  db: Knex,
  jobId: string,
  pageSize: number,
  pageToken: string,
  /** CORE_PRESCRIPTION_TIMEOUT_MS, for a timed-out request without a detail of its own. */
  timeoutMs: number,
): Promise<PrescriptionPage> {
  const job = jobId === "" ? undefined : await findJob(db, jobId);
  if (!job) throw jobNotFound(jobId);
  const size = pageSize <= 0 ? defaultPageSize : Math.min(pageSize, maxPageSize);
  const from = pageToken === "" ? 0 : ordinalOf(pageToken, jobId);
  const rows = await pageOfJobCases(db, jobId, from, size + 1);
  const cases = rows.slice(0, size);
  const first = cases[0];
  const last = cases[cases.length - 1];
  if (!first || !last) return { cases: [], nextPageToken: "" };
  const requests = (await requestsOfJobs(db, [jobId])).filter(
    (request) => request.status !== "NOT_SERVING",
  );
  const keyOf = new Map(requests.map((request) => [request.id, request.plugin_key]));
  const stored = new Map<number, Record<string, PrescriptionView>>();
  for (const result of await resultsOfCases(db, [...keyOf.keys()], first.ordinal, last.ordinal)) {
    const ordinal = Number(result.case_ordinal);
    const byKey = stored.get(ordinal) ?? {};
    byKey[keyOf.get(result.request_id) as string] = {
      type: result.type,
      output: JSON.parse(result.output_json) as unknown,
      detail: result.detail,
      model: JSON.parse(result.model_json) as Record<string, unknown>,
    };
    stored.set(ordinal, byKey);
  }
  const missing = requests.flatMap((request) => {
    const detail = missingPrescriptionDetail(request, timeoutMs);
    return detail === undefined ? [] : [{ key: request.plugin_key, detail }];
  });
  const next = rows[size];
  return {
    cases: cases.map((row) => {
      const prescriptions = stored.get(Number(row.ordinal)) ?? {};
      for (const { key, detail } of missing) {
        prescriptions[key] ??= { type: "", output: null, detail, model: {} };
      }
      return { caseId: row.case_id, prescriptions };
    }),
    nextPageToken: next ? encodeToken({ j: jobId, o: Number(next.ordinal) }) : "",
  };
}

function ordinalOf(token: string, jobId: string): number {
  const { j, o } = decodeToken(token);
  if (j !== jobId || typeof o !== "number" || !Number.isSafeInteger(o) || o < 0) {
    throw new AppError(
      "INVALID_ARGUMENT",
      "page_token is not one this service gave out for this job",
    );
  }
  return o;
}
