/**
 * The worker-thread path (large SQLite files, with or without an event-log definition): the
 * pass runs in a thread with its own SQLite
 * connection (`preprocessInWorker`), which writes both output blobs and marks them
 * complete durably; here progress is stored as it arrives, then the dataset recorded.
 */
import type { Knex } from "knex";
import {
  logPreprocessed,
  type PreprocessingContext,
  type PreprocessingJob,
  splitSettings,
} from "./context.js";
import type { PreprocessSummary } from "./csv/index.js";
import type { EventLogSummary } from "./event-log/normalizer.js";
import {
  DEFAULT_WORKER_MIN_BYTES,
  type PreprocessWorkerOptions,
  preprocessInWorker,
  workerOptionsFor,
} from "./worker/start-worker.js";

/**
 * The worker options when a stored file of `size` bytes goes to a worker thread: `configured`
 * (`false`: never), or else the SQLite file of the knex configuration; undefined for an
 * in-process pass.
 */
export function workerForSize(
  configured: PreprocessWorkerOptions | false | undefined,
  db: Knex,
  size: number,
): PreprocessWorkerOptions | undefined {
  const options = configured ?? workerOptionsFor(db);
  if (!options) return undefined;
  return size >= (options.minBytes ?? DEFAULT_WORKER_MIN_BYTES) ? options : undefined;
}

/** The worker normalized an event log (a project with a definition). */
function isEventLogSummary(
  summary: PreprocessSummary | EventLogSummary,
): summary is EventLogSummary {
  return "definition" in summary;
}

export async function preprocessWithWorker(
  context: PreprocessingContext,
  job: PreprocessingJob,
  options: PreprocessWorkerOptions,
): Promise<void> {
  const { db, outcomes, progress, metrics, signal } = context;
  const { project, log } = job;
  let storedBytes = 0;
  const outcome = await preprocessInWorker(
    db,
    options,
    {
      rawBlobId: project.raw_blob_id,
      rawBytes: job.rawBytes,
      ...splitSettings(project),
      definitionJson: project.effective_definition_json,
    },
    signal,
    ({ rows, storedBytes: bytes }) => {
      metrics.preprocessingRead(bytes - storedBytes);
      storedBytes = bytes;
      progress.report(project.id, rows, storedBytes);
    },
  );
  await progress.settled();
  if (outcome.type === "rejected") {
    log.info({ reason: outcome.reason }, "dataset rejected");
    await outcomes.fail(project.id, `dataset: ${outcome.reason}`);
    return;
  }
  // Both blobs are complete and durable (the worker committed that with an fsync).
  const { summary, trainingBlobId, holdoutBlobId } = outcome;
  if (isEventLogSummary(summary)) {
    await outcomes.recordEventLog(project, summary, trainingBlobId, holdoutBlobId);
    logPreprocessed(job, summary, { worker: true, grouped: summary.grouped });
  } else {
    await outcomes.recordSuccess(project, summary, trainingBlobId, holdoutBlobId);
    logPreprocessed(job, summary, { worker: true });
  }
}
