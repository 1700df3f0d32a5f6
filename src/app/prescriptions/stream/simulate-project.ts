/**
 * SimulateProject: replays a project's holdout set as new live cases through PostEvents, in time
 * order (case ids prefixed with a fresh `sim-…-`, so two simulations never collide; each case's
 * last event marked `case_completed`), at `eventsPerSecond` (0: batches as fast as acked), and
 * yields the replayed events back as WatchPrescriptions shows them; it ends once `maxEvents`
 * (0: all) were sent and every one of them came back complete. Stops sending when aborted.
 * The holdout set is read into memory (it is the smaller part of the training log).
 */
import { randomUUID } from "node:crypto";
import { parse } from "csv-parse/sync";
import type { Knex } from "knex";
import { AppError } from "../../../domain/errors.js";
import { readBlobChunks } from "../../../store/sql/blobs.js";
import { findProject } from "../../../store/sql/projects.js";
import { eventNormalizer } from "./event-normalizer.js";
import { type PostEventsDeps, type PostedEvent, postEvents } from "./post-events.js";
import { type PrescribedEventView, watchEvents } from "./watch-events.js";

export type SimulateDeps = PostEventsDeps;

export interface SimulateInput {
  readonly projectId: number;
  readonly eventsPerSecond: number;
  readonly maxEvents: number;
}

/** The holdout set's events as posted events, in time order (ties: file order). */
async function holdoutEvents(
  db: Knex,
  projectId: number,
  max: number,
  prefix: string,
): Promise<PostedEvent[]> {
  const project = await findProject(db, projectId);
  if (!project) throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
  if (project.status !== "TRAINED") {
    throw new AppError(
      "FAILED_PRECONDITION",
      `project ${projectId} is ${project.status}; a simulation needs a TRAINED project`,
    );
  }
  if (project.effective_definition_json === null || project.holdout_blob_id === null) {
    throw new AppError(
      "FAILED_PRECONDITION",
      `project ${projectId} has no event-log definition or no holdout set to replay`,
    );
  }
  const normalizer = eventNormalizer(project.effective_definition_json);
  const chunks: Buffer[] = [];
  for await (const chunk of readBlobChunks(db, project.holdout_blob_id)) chunks.push(chunk);
  const rows = parse(Buffer.concat(chunks), { columns: true, bom: true }) as Record<
    string,
    string
  >[];
  const lastOfCase = new Map<string, number>();
  const timed = rows.map((row, index) => {
    const caseId = row.CASE_ID ?? "";
    lastOfCase.set(caseId, index);
    const time = Date.parse(row.TIMESTAMP ?? row.START_TIMESTAMP ?? row.END_TIMESTAMP ?? "");
    return { row, index, caseId, time: Number.isNaN(time) ? Number.POSITIVE_INFINITY : time };
  });
  timed.sort((a, b) => (a.time === b.time ? a.index - b.index : a.time < b.time ? -1 : 1));
  const chosen = max > 0 ? timed.slice(0, max) : timed;
  return chosen.map(({ row, index, caseId }) => {
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(row)) {
      const original = normalizer.originalNames.get(name);
      if (original !== undefined && value !== "") attributes[original] = value;
    }
    const caseColumn = normalizer.originalNames.get("CASE_ID");
    if (caseColumn !== undefined) attributes[caseColumn] = `${prefix}${caseId}`;
    return { attributes, caseCompleted: lastOfCase.get(caseId) === index };
  });
}

export async function* simulateProject(
  deps: SimulateDeps,
  input: SimulateInput,
  signal: AbortSignal,
): AsyncGenerator<PrescribedEventView> {
  if (!Number.isFinite(input.eventsPerSecond) || input.eventsPerSecond < 0) {
    throw new AppError("INVALID_ARGUMENT", "events_per_second must be 0 or a positive number");
  }
  if (input.maxEvents < 0)
    throw new AppError("INVALID_ARGUMENT", "max_events must not be negative");
  const prefix = `sim-${randomUUID().slice(0, 8)}-`;
  const events = await holdoutEvents(deps.db, input.projectId, input.maxEvents, prefix);
  if (events.length === 0) return;
  const rate = input.eventsPerSecond;
  const batch = rate > 0 ? Math.max(1, Math.min(100, Math.ceil(rate / 10))) : 100;
  let sent = 0;
  let returned = 0;
  let sendingDone = false;
  let failure: unknown;
  const stop = new AbortController();
  signal.addEventListener("abort", () => stop.abort(), { once: true });
  const requestPrefix = `simulate-${randomUUID()}`;
  const post = async (from: number) => {
    const part = events.slice(from, from + batch);
    const posted = await postEvents(deps, input.projectId, part, `${requestPrefix}-${from}`);
    sent += part.length;
    return posted;
  };
  // The first batch before watching: the watch starts just before its first id.
  const first = Math.min(...(await post(0)));
  const sending = (async () => {
    const started = Date.now();
    for (let from = batch; from < events.length && !signal.aborted; from += batch) {
      if (rate > 0) {
        const due = started + (from / rate) * 1000;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
      if (signal.aborted) break;
      await post(from);
    }
  })()
    .catch((error: unknown) => {
      failure = error;
    })
    .finally(() => {
      sendingDone = true;
      if (returned >= sent) stop.abort();
    });
  try {
    const watch = watchEvents(deps.db, deps.feed, input.projectId, first - 1, stop.signal);
    for await (const event of watch) {
      // Events of this simulation only: its cases carry its prefix.
      if (!event.caseId.startsWith(prefix)) continue;
      returned++;
      yield event;
      if (sendingDone && returned >= sent) break;
    }
  } finally {
    stop.abort();
    await sending;
  }
  if (failure) throw failure;
}
