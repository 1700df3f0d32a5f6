/**
 * A plugin's answers to its prescription requests (PrescriptionResult parts and
 * PrescriptionError), applied in the group committer's transactions. The ack rules, in order:
 * an unknown request NOT_FOUND; another key's request PERMISSION_DENIED; an exact repeat of
 * what was stored OK, changing nothing; any other answer to a finished request (or past its
 * deadline) FAILED_PRECONDITION; an unknown case or a malformed prescription INVALID_ARGUMENT;
 * otherwise the new rows are stored and the request moves on. A part costs a few statements
 * whatever its size (see `prescription-results.ts`).
 */
import type { ErrorCode } from "../../domain/errors.js";
import {
  checkPart,
  maxDetailLength,
  sameStoredPrescription,
} from "../../domain/prescriptions/part-checks.js";
import { projectOfRequestId } from "../../domain/prescriptions/request-ids.js";
import {
  applyRequestEvent,
  type RequestEvent,
  type RequestStatus,
} from "../../domain/prescriptions/request-transitions.js";
import { hasNul } from "../../domain/text-checks.js";
import type { ReportContext } from "../../store/commits/transactions.js";
import {
  caseOrdinals,
  insertPrescriptions,
  lockRequest,
  type NewResultRow,
  type RequestStateRow,
  storedPrescriptions,
} from "../../store/sql/prescription-results.js";
import { deletedProjectsAmong } from "../../store/sql/project-deletion.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";
import type { GroupCommitter } from "../reports/group-commit.js";
import type { AnswerResult, PrescriptionAnswer } from "./answer-types.js";
import { moveRequest } from "./request-changes.js";
import { isStreamRequestId, streamAnswers } from "./stream/stream-answers.js";

export type { AnswerResult, PrescriptionAnswer } from "./answer-types.js";

export interface AnswerDeps {
  readonly committer: GroupCommitter;
  readonly feed: ChangeFeed;
  /** How long an answered part keeps this replica's claim on the request (PostgreSQL). */
  readonly leaseMs: number;
}

/** Applies one answer from an instance of `reporterKey`; resolves once it committed. */
export function applyPrescriptionAnswer(
  deps: AnswerDeps,
  reporterKey: string,
  answer: PrescriptionAnswer,
): Promise<AnswerResult> {
  if (isStreamRequestId(answer.requestId)) {
    const item = { feed: deps.feed, leaseMs: deps.leaseMs, reporterKey, answer, nowMs: Date.now() };
    return deps.committer.runBatched(streamAnswers, item);
  }
  return deps.committer.runOnDriver(async (ctx) => {
    return answerIn(ctx, deps, reporterKey, answer, Date.now());
  });
}

async function answerIn(
  ctx: ReportContext,
  deps: AnswerDeps,
  reporterKey: string,
  answer: PrescriptionAnswer,
  nowMs: number,
): Promise<AnswerResult> {
  const request =
    answer.requestId === "" ? undefined : await lockRequest(ctx.conn, answer.requestId);
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
    return decide(ctx, deps, request, state, event, nowMs, []);
  }
  const checked = checkPart(answer.prescriptions);
  // A malformed part is never an exact repeat (what is stored passed these checks), but it is
  // refused as INVALID_ARGUMENT only once the request's own state was judged.
  const rows = checked.ok ? checked.rows : [];
  const ordinals = await caseOrdinals(
    ctx.conn,
    request.job_id,
    rows.map((row) => row.caseId),
  );
  const stored = await storedPrescriptions(ctx.conn, request.id, [...ordinals.values()]);
  let allStored = checked.ok;
  const fresh: NewResultRow[] = [];
  for (const row of rows) {
    const ordinal = ordinals.get(row.caseId);
    const previous = ordinal === undefined ? undefined : stored.get(ordinal);
    if (!previous || !sameStoredPrescription(previous, row)) allStored = false;
    if (ordinal !== undefined && !previous) fresh.push({ ...row, ordinal });
  }
  const event: RequestEvent = { kind: "part", last: answer.last, allStored };
  const outcome = applyRequestEvent(state, event);
  if (outcome.outcome === "changed") {
    if (!checked.ok) return refused("INVALID_ARGUMENT", `request ${request.id}: ${checked.reason}`);
    const unknown = rows.filter((row) => !ordinals.has(row.caseId));
    if (unknown.length > 0) {
      const first = (unknown[0] as { caseId: string }).caseId.slice(0, 100);
      return refused(
        "INVALID_ARGUMENT",
        `request ${request.id}: case "${first}" is not a case of its job${unknown.length > 1 ? ` (nor are ${unknown.length - 1} more of this part)` : ""}; nothing of the part was stored`,
      );
    }
  }
  return decide(ctx, deps, request, state, event, nowMs, fresh);
}

/** Runs the state machine; stores the new rows and the move when it accepts a change. */
async function decide(
  ctx: ReportContext,
  deps: AnswerDeps,
  request: RequestStateRow,
  state: { status: RequestStatus; detail: string; deadlinePassed: boolean },
  event: RequestEvent,
  nowMs: number,
  fresh: readonly NewResultRow[],
): Promise<AnswerResult> {
  const outcome = applyRequestEvent(state, event);
  if (outcome.outcome === "rejected") {
    return refused("FAILED_PRECONDITION", `request ${request.id}: ${outcome.reason}`);
  }
  const open = (s: RequestStatus) => s === "WAITING" || s === "RUNNING";
  if (outcome.outcome === "duplicate") {
    return {
      code: "OK",
      changed: false,
      open: open(state.status),
      status: state.status,
      stored: 0,
      jobId: request.job_id,
    };
  }
  const added = await insertPrescriptions(ctx.conn, request.id, fresh);
  await moveRequest(
    ctx,
    deps.feed,
    request,
    {
      status: outcome.status,
      detail: outcome.detail,
      casesAdded: added,
      claimUntilMs: nowMs + deps.leaseMs,
    },
    nowMs,
  );
  return {
    code: "OK",
    changed: true,
    open: open(outcome.status),
    status: outcome.status,
    stored: added,
    jobId: request.job_id,
  };
}

function refused(code: ErrorCode, message: string): AnswerResult {
  return { code, message };
}
