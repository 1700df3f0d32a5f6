/**
 * The general path, in-process: the stored file streamed through the pipeline into two
 * `BlobWriter`s (a commit every few MiB), progress stored as it goes, then the dataset recorded.
 * For files that neither fit the small-file path nor go to a worker thread (PostgreSQL,
 * in-memory SQLite, mid-sized SQLite files, small gzip files that expand, event logs).
 */
import { BlobWriter } from "../../store/blobs/blob-writer.js";
import { logPreprocessed, type PreprocessingContext, type PreprocessingJob } from "./context.js";
import { isDatasetRejection } from "./pipeline.js";
import { type ProjectPass, preprocessProjectFile } from "./project-pass.js";

interface BlobSinks {
  readonly training: BlobWriter;
  readonly holdout: BlobWriter;
}

export async function preprocessStreamed(
  context: PreprocessingContext,
  job: PreprocessingJob,
): Promise<void> {
  const { db, outcomes, progress, metrics } = context;
  const { project, log, started } = job;
  const writer = context.claims().replicaId;
  let storedBytes = 0;
  let pass: ProjectPass<BlobSinks>;
  try {
    pass = await preprocessProjectFile<BlobSinks>(
      context,
      job,
      {
        open: async () => ({
          training: await BlobWriter.create(db, "td", started, "", writer),
          holdout: await BlobWriter.create(db, "ho", started, "", writer),
        }),
        discard: async (sinks) => {
          await Promise.all([sinks.training.discard(), sinks.holdout.discard()]);
        },
      },
      {
        onStoredBytes: (bytes) => {
          metrics.preprocessingRead(Math.max(0, bytes - storedBytes));
          storedBytes = bytes;
        },
        onRows: (rows) => progress.report(project.id, rows, storedBytes),
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
  const { training, holdout } = pass.sinks;
  await training.finish();
  await holdout.finish();
  await pass.record(training.id, holdout.id);
  logPreprocessed(job, pass.summary, pass.logFields);
}
