/**
 * A plugin's answer to a live (stream) request, with the ack rules of dataset requests (see
 * `request-answers.ts`): an unknown request NOT_FOUND, another key's PERMISSION_DENIED, an
 * exact repeat OK changing nothing, any other answer to a finished request (or past its
 * deadline) FAILED_PRECONDITION, a case other than the request's or a malformed prescription
 * INVALID_ARGUMENT. A stream request carries one case: its answer is one prescription. When
 * the request finishes, its event may be complete: readers are told after commit.
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
import type { DriverConnection } from "../../../store/sql/prepared.js";
import { deletedProjectsAmong } from "../../../store/sql/project-deletion.js";
import {
  lockStreamRequest,
  type StreamRequestStateRow,
  updateStreamRequest,
} from "../../../store/sql/stream-answers.js";
import type { ChangeFeed } from "../../change-feed/change-feed.js";
import type { AnswerResult, PrescriptionAnswer } from "../answer-types.js";

/** Stream request ids start so; dataset requests' with `req_`. */
export const streamRequestPrefix = "sr_";

export function isStreamRequestId(id: string): boolean {
  return id.startsWith(streamRequestPrefix);
}

export interface StreamAnswerContext {
  readonly conn: DriverConnection;
  readonly afterCommit: (effect: () => void) => void;
  readonly feed: ChangeFeed;
  readonly leaseMs: number;
}

export async function answerStreamRequest(
  ctx: StreamAnswerContext,
  reporterKey: string,
  answer: PrescriptionAnswer,
  nowMs: number,
): Promise<AnswerResult> {
  const request = await lockStreamRequest(ctx.conn, answer.requestId);
  if (!request) {
    const projectId = projectOfRequestId(answer.requestId);
    if (projectId !== undefined && (await deletedProjectsAmong(ctx.conn, [projectId])).size > 0) {
      return refused("FAILED_PRECONDITION", `project ${projectId} was deleted`);
    }
    return refused("NOT_FOUND", `request_id "${answer.requestId.slice(0, 100)}" is unknown`);
  }
  if (request.plugin_key !== reporterKey) {
    return refused(
      "PERMISSION_DENIED",
      `request ${request.id} belongs to plugin "${request.plugin_key}", not "${reporterKey}"`,
    );
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
      return refused(
        "INVALID_ARGUMENT",
        `request ${request.id}: detail must be at most ${maxDetailLength} characters, without NUL`,
      );
    }
    return decide(ctx, request, state, event, nowMs, undefined);
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
    if (!checked.ok) return refused("INVALID_ARGUMENT", `request ${request.id}: ${checked.reason}`);
    const other = rows.find((row) => row.caseId !== request.case_id);
    if (other) {
      return refused(
        "INVALID_ARGUMENT",
        `request ${request.id}: case "${other.caseId.slice(0, 100)}" is not the request's case ("${request.case_id.slice(0, 100)}"); nothing of the part was stored`,
      );
    }
  }
  const fresh = stored === undefined ? ours[0] : undefined;
  return decide(ctx, request, state, event, nowMs, fresh);
}

async function decide(
  ctx: StreamAnswerContext,
  request: StreamRequestStateRow,
  state: { status: RequestStatus; detail: string; deadlinePassed: boolean },
  event: RequestEvent,
  nowMs: number,
  fresh: StoredPrescription | undefined,
): Promise<AnswerResult> {
  const outcome = applyRequestEvent(state, event);
  if (outcome.outcome === "rejected") {
    return refused("FAILED_PRECONDITION", `request ${request.id}: ${outcome.reason}`);
  }
  const open = (s: RequestStatus) => s === "WAITING" || s === "RUNNING";
  if (outcome.outcome === "duplicate") {
    const status = state.status;
    return { code: "OK", changed: false, open: open(status), status, stored: 0, jobId: "" };
  }
  const finished = isFinishedRequestStatus(outcome.status);
  const pending = await updateStreamRequest(ctx.conn, request, {
    status: outcome.status,
    detail: outcome.detail,
    finished,
    result: fresh,
    claimUntilMs: nowMs + ctx.leaseMs,
    nowMs,
  });
  ctx.afterCommit(() => {
    if (finished) ctx.feed.requestDone(request.plugin_key, request.id);
    if (pending === 0) ctx.feed.streamChanged(request.project_id);
  });
  return {
    code: "OK",
    changed: true,
    open: open(outcome.status),
    status: outcome.status,
    stored: fresh ? 1 : 0,
    jobId: "",
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
