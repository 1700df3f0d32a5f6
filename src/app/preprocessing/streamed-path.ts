/**
 * The general path, in-process: the stored file streamed through the pipeline into two
 * `BlobWriter`s (a commit every few MiB), progress stored as it goes, then the dataset recorded.
 * For files that neither fit the small-file path nor go to a worker thread (PostgreSQL,
 * in-memory SQLite, mid-sized SQLite files, small gzip files that expand).
 */
import { BlobWriter } from "../../store/blobs/blob-writer.js";
import {
  logPreprocessed,
  type PreprocessingContext,
  type PreprocessingJob,
  splitSettings,
  storedFile,
} from "./context.js";
import type { PreprocessSummary } from "./csv/index.js";
import { preprocessEventLog } from "./event-log-pass.js";
import { isDatasetRejection, preprocessStoredBytes } from "./pipeline.js";

export async function preprocessStreamed(
  context: PreprocessingContext,
  job: PreprocessingJob,
): Promise<void> {
  if (job.project.effective_definition_json !== null) {
    await preprocessEventLogStreamed(context, job, job.project.effective_definition_json);
    return;
  }
  const { db, outcomes, progress, metrics } = context;
  const { project, log, started } = job;
  const writer = context.claims().replicaId;
  const training = await BlobWriter.create(db, "td", started, "", writer);
  const holdout = await BlobWriter.create(db, "ho", started, "", writer);
  let storedBytes = 0;
  let summary: PreprocessSummary;
  try {
    summary = await preprocessStoredBytes(
      storedFile(context, job),
      splitSettings(project),
      { training, holdout },
      {
        onStoredBytes: (bytes) => {
          metrics.preprocessingRead(bytes - storedBytes);
          storedBytes = bytes;
        },
        onRows: (rows) => progress.report(project.id, rows, storedBytes),
      },
    );
  } catch (error) {
    if (!isDatasetRejection(error)) throw error;
    log.info({ reason: error.message }, "dataset rejected");
    await progress.settled();
    await Promise.all([training.discard(), holdout.discard()]);
    await outcomes.fail(project.id, `dataset: ${error.message}`);
    return;
  }
  await progress.settled();
  await training.finish();
  await holdout.finish();
  await outcomes.recordSuccess(project, summary, training.id, holdout.id);
  logPreprocessed(job, summary);
}

/** The same for a project with an event-log definition: its normalized sets. */
async function preprocessEventLogStreamed(
  context: PreprocessingContext,
  job: PreprocessingJob,
  definitionJson: string,
): Promise<void> {
  const { db, outcomes, progress, metrics } = context;
  const { project, log, started } = job;
  const writer = context.claims().replicaId;
  let storedBytes = 0;
  let result: Awaited<ReturnType<typeof preprocessEventLog<BlobSinks>>>;
  try {
    result = await preprocessEventLog<BlobSinks>(
      {
        open: () => storedFile(context, job),
        definitionJson,
        caseIdColumn: project.requested_case_id_column,
        holdoutFraction: project.holdout_fraction,
        onStoredBytes: (bytes) => {
          metrics.preprocessingRead(Math.max(0, bytes - storedBytes));
          storedBytes = bytes;
        },
        onRows: (rows) => progress.report(project.id, rows, storedBytes),
      },
      {
        open: async () => ({
          training: await BlobWriter.create(db, "td", started, "", writer),
          holdout: await BlobWriter.create(db, "ho", started, "", writer),
        }),
        discard: async (sinks) => {
          await Promise.all([sinks.training.discard(), sinks.holdout.discard()]);
        },
      },
    );
  } catch (error) {
    if (!isDatasetRejection(error)) throw error;
    log.info({ reason: error.message }, "dataset rejected");
    await progress.settled();
    await outcomes.fail(project.id, `dataset: ${error.message}`);
    return;
  }
  await progress.settled();
  const { summary, sinks } = result;
  await sinks.training.finish();
  await sinks.holdout.finish();
  await outcomes.recordEventLog(project, summary, sinks.training.id, sinks.holdout.id);
  logPreprocessed(job, summary, { grouped: summary.grouped });
}

interface BlobSinks {
  readonly training: BlobWriter;
  readonly holdout: BlobWriter;
}
