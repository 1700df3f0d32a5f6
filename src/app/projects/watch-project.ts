/**
 * WatchProject: every stored event after a cursor, then live ones as they commit, ending after
 * the event that put the project in TRAINED or ERROR. The events table is the only source: a
 * change notification just says "read again", so there are no gaps and no reordering. A project
 * deleted while watched ends the watch with NOT_FOUND.
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { isFinalProjectStatus, type ProjectStatus } from "../../domain/statuses.js";
import type { EventRow } from "../../store/rows.js";
import { listEventsAfter } from "../../store/sql/events.js";
import { findProject } from "../../store/sql/projects.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";

const pageSize = 500;

function isFinalProjectEvent(event: EventRow): boolean {
  return (
    event.membership_id === null && isFinalProjectStatus(event.project_status as ProjectStatus)
  );
}

export async function* watchProject(
  db: Knex,
  feed: ChangeFeed,
  projectId: number,
  afterEventId: number,
  signal: AbortSignal,
): AsyncGenerator<EventRow> {
  if (!Number.isSafeInteger(projectId) || projectId <= 0) {
    throw new AppError("INVALID_ARGUMENT", "project_id must be a positive id");
  }
  if (!Number.isSafeInteger(afterEventId) || afterEventId < 0) {
    throw new AppError("INVALID_ARGUMENT", "after_event_id must be 0 or a positive event id");
  }
  let changed = true;
  let wake: (() => void) | undefined;
  const unsubscribe = feed.onProjectChanged(projectId, () => {
    changed = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    const project = await findProject(db, projectId);
    if (!project) throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
    let cursor = afterEventId;
    while (!signal.aborted) {
      if (!changed) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      changed = false;
      const events = await listEventsAfter(db, projectId, cursor, pageSize);
      for (const event of events) {
        yield event;
        cursor = event.id;
        if (isFinalProjectEvent(event)) return;
      }
      if (events.length === pageSize) {
        changed = true;
        continue;
      }
      // Nothing new, or only events after the final one (SetPluginServing): the watch may be over.
      const last = events.at(-1);
      const drained =
        last === undefined || isFinalProjectStatus(last.project_status as ProjectStatus);
      if (drained && (await projectIsFinalBefore(db, projectId, cursor))) return;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * True when the project already ended and the cursor is past its final event; NOT_FOUND once
 * the project was deleted (its events went with it).
 */
async function projectIsFinalBefore(db: Knex, projectId: number, cursor: number): Promise<boolean> {
  const project = await findProject(db, projectId);
  if (!project) throw new AppError("NOT_FOUND", `project ${projectId} was deleted`);
  if (!isFinalProjectStatus(project.status as ProjectStatus)) return false;
  const later = await listEventsAfter(db, projectId, cursor, 1);
  return later.length === 0;
}
