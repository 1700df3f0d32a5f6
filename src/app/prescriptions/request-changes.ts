/**
 * Moving a prescription request through its state machine in the caller's transaction: the
 * request's row, and when it finished, its job (DONE once every request finished), with the
 * change-feed notifications to send once it committed.
 */
import { deriveJobStatus, type JobStatus } from "../../domain/prescriptions/job-status.js";
import {
  isFinishedRequestStatus,
  type RequestStatus,
} from "../../domain/prescriptions/request-transitions.js";
import type { ReportContext } from "../../store/commits/transactions.js";
import {
  lockJobWithRequests,
  type RequestStateRow,
  setJobStatus,
  updateRequest,
} from "../../store/sql/prescription-results.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";

export interface RequestMove {
  readonly status: RequestStatus;
  readonly detail: string;
  readonly casesAdded: number;
  /** Still open: the replica claim lasts until then (PostgreSQL). */
  readonly claimUntilMs?: number;
}

/**
 * Stores the request's new state; when it finished, finishes its job if that was the last
 * open request. After commit: the job changed, and a finished request's lease ends.
 */
export async function moveRequest(
  ctx: ReportContext,
  feed: ChangeFeed,
  request: RequestStateRow,
  move: RequestMove,
  nowMs: number,
): Promise<void> {
  const finished = isFinishedRequestStatus(move.status);
  await updateRequest(ctx.conn, request.id, {
    status: move.status,
    detail: move.detail,
    casesAdded: move.casesAdded,
    finished,
    claimUntilMs: move.claimUntilMs,
    nowMs,
  });
  if (finished) {
    const job = await lockJobWithRequests(ctx.conn, request.job_id);
    if (job) {
      const next = deriveJobStatus(job.status as JobStatus, job.requests as RequestStatus[]);
      if (next !== job.status) await setJobStatus(ctx.conn, request.job_id, next, nowMs);
    }
  }
  ctx.afterCommit(() => {
    if (finished) feed.requestDone(request.plugin_key, request.id);
    feed.jobChanged(request.job_id);
  });
}
