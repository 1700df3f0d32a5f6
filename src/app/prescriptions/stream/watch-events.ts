/**
 * WatchPrescriptions: a project's events after a cursor, in id order, each once it is complete
 * (every request finished: answered, failed or timed out). Event ids increase in commit order
 * per project (PostEvents locks the project), so reading "after the last id sent" in id order,
 * stopping at the first incomplete event, never skips one nor sends one twice. The tables are
 * the only source; a change notification just says "read again". Never ends by itself.
 */
import type { Knex } from "knex";
import { AppError } from "../../../domain/errors.js";
import { findProject, projectExists } from "../../../store/sql/projects.js";
import {
  oldestEventId,
  readCompleteEventsAfter,
  type StreamEventRow,
  type StreamResultRow,
  streamProjectState,
} from "../../../store/sql/stream-events.js";
import type { ChangeFeed } from "../../change-feed/change-feed.js";
import type { PrescriptionView } from "../jobs/list-prescriptions.js";

export interface PrescribedEventView {
  readonly eventId: number;
  readonly caseId: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly caseCompleted: boolean;
  /** By plugin key. */
  readonly prescriptions: Readonly<Record<string, PrescriptionView>>;
  /** Keys that failed or timed out. */
  readonly missing: readonly string[];
  readonly postedMs: number;
}

const batchSize = 500;

export async function* watchEvents(
  db: Knex,
  feed: ChangeFeed,
  projectId: number,
  afterEventId: number,
  signal: AbortSignal,
): AsyncGenerator<PrescribedEventView> {
  if (!(await findProject(db, projectId))) {
    throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
  }
  if (!Number.isSafeInteger(afterEventId) || afterEventId < 0) {
    throw new AppError("INVALID_ARGUMENT", "after_event_id must be 0 or a positive event id");
  }
  const { deletedThrough } = await streamProjectState(db, projectId);
  if (afterEventId > 0 && afterEventId < deletedThrough) {
    const oldest = await oldestEventId(db, projectId);
    throw new AppError(
      "FAILED_PRECONDITION",
      `events of project ${projectId} up to ${deletedThrough} were deleted (CORE_EVENT_RETENTION or ClearEvents); ` +
        (oldest === undefined
          ? `none is kept now: resume with after_event_id ${deletedThrough}`
          : `the oldest kept is ${oldest}: resume with after_event_id ${oldest - 1}`),
    );
  }
  let changed = true;
  let wake: (() => void) | undefined;
  const unsubscribe = feed.onStreamChanged(projectId, () => {
    changed = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  let cursor = afterEventId;
  try {
    while (!signal.aborted) {
      if (!changed) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      changed = false;
      let sent = 0;
      for (;;) {
        const { events, results } = await readCompleteEventsAfter(db, projectId, cursor, batchSize);
        let next = 0;
        for (const event of events) {
          if (signal.aborted) return;
          const own: StreamResultRow[] = [];
          while (next < results.length && (results[next] as StreamResultRow).event_id <= event.id) {
            const result = results[next++] as StreamResultRow;
            if (result.event_id === event.id) own.push(result);
          }
          yield viewOf(event, own);
          cursor = event.id;
          sent++;
        }
        if (events.length < batchSize) break;
      }
      // DeleteProject announces a change of the project's stream: its readers end NOT_FOUND.
      if (sent === 0 && !(await projectExists(db, projectId))) {
        throw new AppError("NOT_FOUND", `project ${projectId} was deleted`);
      }
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
  }
}

function viewOf(event: StreamEventRow, results: readonly StreamResultRow[]): PrescribedEventView {
  const prescriptions: Record<string, PrescriptionView> = {};
  const missing: string[] = [];
  for (const result of results) {
    if (result.status === "DONE") {
      prescriptions[result.plugin_key] =
        result.output_json === null
          ? {
              type: "",
              output: null,
              detail: "the plugin answered without a prescription for the case",
              model: {},
            }
          : {
              type: result.type ?? "",
              output: JSON.parse(result.output_json) as unknown,
              detail: result.result_detail ?? "",
              model: JSON.parse(result.model_json ?? "{}") as Record<string, unknown>,
            };
      continue;
    }
    missing.push(result.plugin_key);
    const why =
      result.status === "ERROR"
        ? `the plugin failed: ${result.detail}`
        : `timed out: ${result.detail}`;
    prescriptions[result.plugin_key] = { type: "", output: null, detail: why, model: {} };
  }
  return {
    eventId: event.id,
    caseId: event.case_id,
    attributes: JSON.parse(event.attributes_json) as Record<string, string>,
    caseCompleted: event.case_completed,
    prescriptions,
    missing,
    postedMs: event.posted_ms,
  };
}
