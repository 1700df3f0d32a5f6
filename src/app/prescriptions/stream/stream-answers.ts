/**
 * Plugins' answers to live (stream) requests, with the ack rules of dataset requests (see
 * `request-answers.ts`): an unknown request NOT_FOUND, another key's PERMISSION_DENIED, an
 * exact repeat OK changing nothing, any other answer to a finished request (or past its
 * deadline) FAILED_PRECONDITION, a case other than the request's or a malformed prescription
 * INVALID_ARGUMENT. A stream request carries one case: its answer is one prescription. When
 * a request finishes, its event may be complete: readers are told after commit.
 *
 * The answers that share a group-commit batch are applied together (`streamAnswers`): their
 * requests are read (and locked) in one statement, each answer is judged in arrival order
 * against the state the earlier ones left, and the changes are written with a few statements
 * for the whole batch, as plugin reports are.
 */
import type { ErrorCode } from "../../../domain/errors.js";
import {
  checkPart,
  maxDetailLength,
  type StoredPrescription,
  sameStoredPrescription,
} from "../../../domain/prescriptions/part-checks.js";
import { projectOfRequestId } from "../../../domain/prescriptions/request-ids.js";
import {
  applyRequestEvent,
  isFinishedRequestStatus,
  type RequestEvent,
  type RequestStatus,
} from "../../../domain/prescriptions/request-transitions.js";
import { hasNul } from "../../../domain/text-checks.js";
import type { ReportContext } from "../../../store/commits/transactions.js";
import { deletedProjectsAmong } from "../../../store/sql/project-deletion.js";
import {
  lockStreamRequests,
  type StreamRequestStateRow,
} from "../../../store/sql/stream-answers.js";
import type { ChangeFeed } from "../../change-feed/change-feed.js";
import type { BatchHandler } from "../../reports/group-commit.js";
import type { AnswerResult, PrescriptionAnswer } from "../answer-types.js";
import { storeStreamRequests } from "./stream-request-writes.js";

/** Stream request ids start so; dataset requests' with `req_`. */
export const streamRequestPrefix = "sr_";

export function isStreamRequestId(id: string): boolean {
  return id.startsWith(streamRequestPrefix);
}

/** One answer to apply, with what applying it needs. */
export interface StreamAnswerItem {
  readonly feed: ChangeFeed;
  /** How long an answered part keeps this replica's claim on the request (PostgreSQL). */
  readonly leaseMs: number;
  readonly reporterKey: string;
  readonly answer: PrescriptionAnswer;
  readonly nowMs: number;
}

/** A judged answer: its result, and the request's new state when it changed. */
interface Judged {
  readonly result: AnswerResult;
  readonly changed?: StreamRequestStateRow;
}

/** Applies a batch's stream answers in its transaction (see the file's comment). */
export const streamAnswers: BatchHandler<StreamAnswerItem, AnswerResult> = {
  async apply(ctx: ReportContext, items: readonly StreamAnswerItem[]): Promise<AnswerResult[]> {
    const ids = [...new Set(items.map((item) => item.answer.requestId))];
    const current = await lockStreamRequests(ctx.conn, ids);
    const changed = new Map<string, StreamRequestStateRow>();
    const finished: StreamRequestStateRow[] = [];
    const results: AnswerResult[] = [];
    for (const item of items) {
      const request = current.get(item.answer.requestId);
      const judged = request
        ? judge(request, item)
        : { result: await unknownRequest(ctx, item.answer.requestId) };
      results.push(judged.result);
      const next = judged.changed;
      if (!next || !request) continue;
      current.set(next.id, next);
      changed.set(next.id, next);
      const wasOpen = !isFinishedRequestStatus(request.status as RequestStatus);
      if (wasOpen && isFinishedRequestStatus(next.status as RequestStatus)) finished.push(next);
    }
    const feed = items[0]?.feed;
    if (feed) await storeStreamRequests(ctx, feed, [...changed.values()], finished);
    return results;
  },
};

async function unknownRequest(ctx: ReportContext, requestId: string): Promise<AnswerResult> {
  const projectId = projectOfRequestId(requestId);
  if (projectId !== undefined && (await deletedProjectsAmong(ctx.conn, [projectId])).size > 0) {
    return refused("FAILED_PRECONDITION", `project ${projectId} was deleted`);
  }
  return refused("NOT_FOUND", `request_id "${requestId.slice(0, 100)}" is unknown`);
}

/** The ack rules for one answer to a known request, against its current state. Pure. */
function judge(request: StreamRequestStateRow, item: StreamAnswerItem): Judged {
  const { answer, reporterKey, nowMs } = item;
  if (request.plugin_key !== reporterKey) {
    return {
      result: refused(
        "PERMISSION_DENIED",
        `request ${request.id} belongs to plugin "${request.plugin_key}", not "${reporterKey}"`,
      ),
    };
  }
  const state = {
    status: request.status as RequestStatus,
    detail: request.detail,
    deadlinePassed: request.deadline_ms !== null && request.deadline_ms <= nowMs,
  };
  if (answer.kind === "error") {
    const detail = answer.detail.trim() || "the plugin reported an error without a detail";
    const event: RequestEvent = { kind: "error", detail };
    const malformed = detail.length > maxDetailLength || hasNul(detail);
    if (malformed && applyRequestEvent(state, event).outcome === "changed") {
      return {
        result: refused(
          "INVALID_ARGUMENT",
          `request ${request.id}: detail must be at most ${maxDetailLength} characters, without NUL`,
        ),
      };
    }
    return decide(request, state, event, item, undefined);
  }
  const checked = checkPart(answer.prescriptions);
  const rows = checked.ok ? checked.rows : [];
  const stored = storedOf(request);
  const ours = rows.filter((row) => row.caseId === request.case_id);
  const allStored =
    checked.ok &&
    rows.length === ours.length &&
    ours.every((row) => stored !== undefined && sameStoredPrescription(stored, row));
  const event: RequestEvent = { kind: "part", last: answer.last, allStored };
  if (applyRequestEvent(state, event).outcome === "changed") {
    if (!checked.ok) {
      return { result: refused("INVALID_ARGUMENT", `request ${request.id}: ${checked.reason}`) };
    }
    const other = rows.find((row) => row.caseId !== request.case_id);
    if (other) {
      return {
        result: refused(
          "INVALID_ARGUMENT",
          `request ${request.id}: case "${other.caseId.slice(0, 100)}" is not the request's case ("${request.case_id.slice(0, 100)}"); nothing of the part was stored`,
        ),
      };
    }
  }
  const fresh = stored === undefined ? ours[0] : undefined;
  return decide(request, state, event, item, fresh);
}

function decide(
  request: StreamRequestStateRow,
  state: { status: RequestStatus; detail: string; deadlinePassed: boolean },
  event: RequestEvent,
  item: StreamAnswerItem,
  fresh: StoredPrescription | undefined,
): Judged {
  const outcome = applyRequestEvent(state, event);
  if (outcome.outcome === "rejected") {
    return { result: refused("FAILED_PRECONDITION", `request ${request.id}: ${outcome.reason}`) };
  }
  const open = (s: RequestStatus) => s === "WAITING" || s === "RUNNING";
  if (outcome.outcome === "duplicate") {
    const status = state.status;
    return {
      result: { code: "OK", changed: false, open: open(status), status, stored: 0, jobId: "" },
    };
  }
  const finished = isFinishedRequestStatus(outcome.status);
  const changed: StreamRequestStateRow = {
    ...request,
    status: outcome.status,
    detail: outcome.detail,
    updated_ms: item.nowMs,
    ...(finished
      ? { deadline_ms: null, claim_replica: null, claim_expires_ms: null }
      : { claim_expires_ms: item.nowMs + item.leaseMs }),
    ...(fresh
      ? {
          type: fresh.type,
          output_json: fresh.outputJson,
          result_detail: fresh.detail,
          model_json: fresh.modelJson,
        }
      : {}),
  };
  return {
    result: {
      code: "OK",
      changed: true,
      open: open(outcome.status),
      status: outcome.status,
      stored: fresh ? 1 : 0,
      jobId: "",
    },
    changed,
  };
}

function storedOf(request: StreamRequestStateRow): StoredPrescription | undefined {
  if (request.output_json === null) return undefined;
  return {
    type: request.type ?? "",
    outputJson: request.output_json,
    detail: request.result_detail ?? "",
    modelJson: request.model_json ?? "{}",
  };
}

function refused(code: ErrorCode, message: string): AnswerResult {
  return { code, message };
}
