/**
 * Stores new states of live requests in the caller's transaction: the rows, then each event's
 * `pending` counted down by its requests that finished; after commit, the finished requests
 * free their leases and readers of a project with a newly complete event are woken. The one
 * place answers and deadlines both go through.
 */
import type { ReportContext } from "../../../store/commits/transactions.js";
import {
  finishStreamEvents,
  type StreamRequestStateRow,
  writeStreamRequests,
} from "../../../store/sql/stream-answers.js";
import type { ChangeFeed } from "../../change-feed/change-feed.js";

export async function storeStreamRequests(
  ctx: ReportContext,
  feed: ChangeFeed,
  changed: readonly StreamRequestStateRow[],
  /** Those of `changed` that were open and are finished now. */
  finished: readonly StreamRequestStateRow[],
): Promise<void> {
  await writeStreamRequests(ctx.conn, changed);
  const finishedPerEvent = new Map<number, number>();
  for (const request of finished) {
    finishedPerEvent.set(request.event_id, (finishedPerEvent.get(request.event_id) ?? 0) + 1);
  }
  const pending = await finishStreamEvents(ctx.conn, finishedPerEvent);
  ctx.afterCommit(() => {
    const complete = new Set<number>();
    for (const request of finished) {
      feed.requestDone(request.plugin_key, request.id);
      if (pending.get(request.event_id) === 0) complete.add(request.project_id);
    }
    for (const projectId of complete) feed.streamChanged(projectId);
  });
}
