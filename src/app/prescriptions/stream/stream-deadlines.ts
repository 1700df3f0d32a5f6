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
  lockStreamRequests,
  type StreamRequestStateRow,
} from "../../../store/sql/stream-answers.js";
import { listOverdueStreamRequests } from "../../../store/sql/stream-deliveries.js";
import type { ChangeFeed } from "../../change-feed/change-feed.js";
import type { GroupCommitter } from "../../reports/group-commit.js";
import { storeStreamRequests } from "./stream-request-writes.js";

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
    if (overdue.length === 0) return expired;
    // One transaction for the whole batch: a backlog of expired requests (a plugin gone, a
    // burst beyond what the plugins answer) reaches the readers at the rate of batches.
    const timedOut = await deps.committer.runOnDriver(async (work) => {
      const requests = await lockStreamRequests(
        work.conn,
        overdue.map((candidate) => candidate.id),
      );
      const detail = streamTimedOutDetail(deps.streamPrescriptionTimeoutMs);
      const changed: StreamRequestStateRow[] = [];
      for (const request of requests.values()) {
        if (request.deadline_ms === null || request.deadline_ms > nowMs) continue;
        const outcome = applyRequestEvent(
          { status: request.status as RequestStatus, detail: request.detail, deadlinePassed: true },
          { kind: "deadline", detail },
        );
        if (outcome.outcome !== "changed") continue;
        changed.push({
          ...request,
          status: outcome.status,
          detail: outcome.detail,
          updated_ms: Date.now(),
          deadline_ms: null,
          claim_replica: null,
          claim_expires_ms: null,
        });
      }
      // A deadline finishes every request it changes.
      await storeStreamRequests(work, deps.feed, changed, changed);
      return changed;
    });
    expired += timedOut.length;
    for (const request of timedOut) {
      deps.logger.debug(
        { eventId: request.event_id, requestId: request.id, key: request.plugin_key },
        "live prescription request timed out",
      );
    }
    if (overdue.length < batchSize) return expired;
  }
}
