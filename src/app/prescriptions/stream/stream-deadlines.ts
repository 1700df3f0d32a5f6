/**
 * Times out live (stream) requests whose deadline passed: TIMED_OUT with a detail naming the
 * setting; the event is complete once its last request finished. Deadlines are stored, so a
 * sweep after a restart catches what expired meanwhile.
 */
import type { Knex } from "knex";
import {
  applyRequestEvent,
  type RequestStatus,
} from "../../../domain/prescriptions/request-transitions.js";
import type { Logger } from "../../../logger.js";
import {
  finishStreamEvents,
  lockStreamRequests,
  writeStreamRequests,
} from "../../../store/sql/stream-answers.js";
import { listOverdueStreamRequests } from "../../../store/sql/stream-deliveries.js";
import type { ChangeFeed } from "../../change-feed/change-feed.js";
import type { GroupCommitter } from "../../reports/group-commit.js";

const batchSize = 200;

export interface StreamDeadlineDeps {
  readonly committer: GroupCommitter;
  readonly feed: ChangeFeed;
  readonly logger: Logger;
  readonly db: Knex;
  /** CORE_STREAM_PRESCRIPTION_TIMEOUT_MS, named in the detail. */
  readonly streamPrescriptionTimeoutMs: number;
}

export function streamTimedOutDetail(timeoutMs: number): string {
  return `no answer within ${timeoutMs} ms of the first delivery (CORE_STREAM_PRESCRIPTION_TIMEOUT_MS)`;
}

/** Times out every overdue stream request; returns how many. */
export async function sweepStreamDeadlines(
  deps: StreamDeadlineDeps,
  nowMs = Date.now(),
): Promise<number> {
  let expired = 0;
  for (;;) {
    const overdue = await listOverdueStreamRequests(deps.db, nowMs, batchSize);
    for (const candidate of overdue) {
      const timedOut = await deps.committer.runOnDriver(async (work) => {
        const request = (await lockStreamRequests(work.conn, [candidate.id])).get(candidate.id);
        if (!request || request.deadline_ms === null || request.deadline_ms > nowMs) return false;
        const detail = streamTimedOutDetail(deps.streamPrescriptionTimeoutMs);
        const outcome = applyRequestEvent(
          { status: request.status as RequestStatus, detail: request.detail, deadlinePassed: true },
          { kind: "deadline", detail },
        );
        if (outcome.outcome !== "changed") return false;
        await writeStreamRequests(work.conn, [
          {
            ...request,
            status: outcome.status,
            detail: outcome.detail,
            updated_ms: Date.now(),
            deadline_ms: null,
            claim_replica: null,
            claim_expires_ms: null,
          },
        ]);
        const pending = await finishStreamEvents(work.conn, new Map([[request.event_id, 1]]));
        work.afterCommit(() => {
          deps.feed.requestDone(request.plugin_key, request.id);
          if (pending.get(request.event_id) === 0) deps.feed.streamChanged(request.project_id);
        });
        return true;
      });
      if (timedOut) {
        expired++;
        deps.logger.debug(
          { eventId: candidate.event_id, requestId: candidate.id, key: candidate.plugin_key },
          "live prescription request timed out",
        );
      }
    }
    if (overdue.length < batchSize) return expired;
  }
}
