/**
 * Times out prescription requests whose deadline passed: TIMED_OUT with a detail naming the
 * setting, through the same move as a plugin's answer (so the job finishes when it was the last
 * open request). Deadlines are stored, so a sweep after a restart catches what expired meanwhile.
 */
import { requestTimedOutDetail } from "../../domain/prescriptions/deadline.js";
import {
  applyRequestEvent,
  type RequestStatus,
} from "../../domain/prescriptions/request-transitions.js";
import type { Logger } from "../../logger.js";
import { driverOf } from "../../store/sql/prepared.js";
import { listOverdueRequests } from "../../store/sql/prescription-deliveries.js";
import { lockRequest } from "../../store/sql/prescription-results.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";
import type { GroupCommitter } from "../reports/group-commit.js";
import { moveRequest } from "./request-changes.js";

const batchSize = 100;

export interface RequestDeadlineDeps {
  readonly committer: GroupCommitter;
  readonly feed: ChangeFeed;
  readonly logger: Logger;
  /** Reads outside a transaction. */
  readonly db: import("knex").Knex;
  /** CORE_PRESCRIPTION_TIMEOUT_MS, named in the detail. */
  readonly prescriptionTimeoutMs: number;
}

/** Times out every overdue request; returns how many. */
export async function sweepRequestDeadlines(
  deps: RequestDeadlineDeps,
  nowMs = Date.now(),
): Promise<number> {
  let expired = 0;
  for (;;) {
    const overdue = await listOverdueRequests(deps.db, nowMs, batchSize);
    for (const candidate of overdue) {
      const timedOut = await deps.committer.run(async (work) => {
        const ctx = { conn: await driverOf(work.trx), afterCommit: work.afterCommit };
        const request = await lockRequest(ctx.conn, candidate.id);
        if (!request || request.deadline_ms === null || request.deadline_ms > nowMs) return false;
        const detail = requestTimedOutDetail(deps.prescriptionTimeoutMs);
        const outcome = applyRequestEvent(
          { status: request.status as RequestStatus, detail: request.detail, deadlinePassed: true },
          { kind: "deadline", detail },
        );
        if (outcome.outcome !== "changed") return false;
        const move = { status: outcome.status, detail: outcome.detail, casesAdded: 0 };
        await moveRequest(ctx, deps.feed, request, move, Date.now());
        return true;
      });
      if (timedOut) {
        expired++;
        deps.logger.warn(
          { jobId: candidate.job_id, requestId: candidate.id, key: candidate.plugin_key },
          "prescription request timed out",
        );
      }
    }
    if (overdue.length < batchSize) return expired;
  }
}
