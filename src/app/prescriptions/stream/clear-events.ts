/** ClearEvents: deletes a project's live events and their requests, in one transaction. */
import type { Knex } from "knex";
import { AppError } from "../../../domain/errors.js";
import { inTransaction } from "../../../store/commits/transactions.js";
import { lockProject } from "../../../store/sql/projects.js";
import { deleteEvents, recordCleared } from "../../../store/sql/stream-events.js";
import type { ChangeFeed } from "../../change-feed/change-feed.js";

export async function clearEvents(db: Knex, feed: ChangeFeed, projectId: number): Promise<number> {
  return inTransaction(db, async ({ trx, afterCommit }) => {
    if (!(await lockProject(trx, projectId))) {
      throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
    }
    const newest = await trx("stream_events").where({ project_id: projectId }).max({ id: "id" });
    await trx("stream_requests").where({ project_id: projectId }).delete();
    const deleted = await deleteEvents(trx, projectId);
    await recordCleared(trx, projectId, Number(newest[0]?.id ?? 0));
    afterCommit(() => feed.streamChanged(projectId));
    return deleted;
  });
}
