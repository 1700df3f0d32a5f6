/**
 * The small-file path: the pipeline into memory, then both output blobs (complete, in the same
 * 1 MiB rows as BlobWriter's) and the dataset, memberships and events in one transaction. No
 * progress is reported while it runs (it takes milliseconds); the final counts are stored with
 * the dataset.
 */
import { insertCompleteBlob, newBlobId } from "../../store/sql/blobs.js";
import { recordPreprocessingProgress } from "../../store/sql/projects.js";
import { logPreprocessed, type PreprocessingContext, type PreprocessingJob } from "./context.js";
import { MemoryOutput, OutputBudget, OutputBudgetExceeded } from "./csv/memory-output.js";
import { isDatasetRejection } from "./pipeline.js";
import { type ProjectPass, preprocessProjectFile } from "./project-pass.js";

/**
 * Stored files up to this size are preprocessed into memory and stored with the dataset in one
 * transaction (one commit, one fsync on SQLite) instead of a commit per blob step: the
 * commits, not the bytes, are what small datasets cost, and on SQLite every one of them holds
 * the event loop. 4 MiB keeps the memory of that path small (the one project preprocessed at a
 * time holds at most a page of the stored file, 4 MiB, plus its outputs, see below) and is
 * well below the worker thread's threshold (16 MiB); above it, a file takes long enough to
 * parse that a few commits more make no difference.
 */
export const SMALL_FILE_MAX_BYTES = 4 * 1024 * 1024;
/**
 * The most both outputs of a small file may hold in memory together: the training and holdout
 * files together are about as large as the input (the rows once, a header each), so twice the
 * bound leaves room for quoting; a file that expands beyond it (gzip) is preprocessed again the
 * streaming way.
 */
const SMALL_OUTPUT_BUDGET_BYTES = 2 * SMALL_FILE_MAX_BYTES;
/** Stored chunk rows: the 1 MiB rows BlobWriter writes, so the blob format is the same. */
const CHUNK_ROW_BYTES = 1024 * 1024;

/**
 * Returns false, having stored nothing, when the outputs outgrow their budget (a small gzip
 * file expanding): the caller then streams the file instead.
 */
export async function preprocessSmallFile(
  context: PreprocessingContext,
  job: PreprocessingJob,
): Promise<boolean> {
  const { outcomes, metrics } = context;
  const { project, log, started } = job;
  let storedBytes = 0;
  let pass: ProjectPass<MemorySinks>;
  try {
    pass = await preprocessProjectFile<MemorySinks>(
      context,
      job,
      {
        open: async () => {
          const budget = new OutputBudget(SMALL_OUTPUT_BUDGET_BYTES);
          return { training: new MemoryOutput(budget), holdout: new MemoryOutput(budget) };
        },
        discard: async () => {},
      },
      {
        onStoredBytes: (bytes) => {
          storedBytes = Math.max(storedBytes, bytes);
        },
      },
    );
  } catch (error) {
    if (error instanceof OutputBudgetExceeded) {
      log.info({ storedBytes }, "outputs too large for memory; preprocessing streamed");
      return false;
    }
    if (!isDatasetRejection(error)) throw error;
    metrics.preprocessingRead(storedBytes);
    log.info({ reason: error.message }, "dataset rejected");
    await outcomes.fail(project.id, `dataset: ${error.message}`);
    return true;
  }
  metrics.preprocessingRead(storedBytes);
  const { summary, sinks } = pass;
  const writerReplica = context.claims().replicaId;
  const outputs = [
    { id: newBlobId("td"), file: sinks.training.finish(CHUNK_ROW_BYTES) },
    { id: newBlobId("ho"), file: sinks.holdout.finish(CHUNK_ROW_BYTES) },
  ] as const;
  await pass.record(outputs[0].id, outputs[1].id, async (trx) => {
    for (const { id, file } of outputs) {
      await insertCompleteBlob(trx, { id, nowMs: started, writerReplica, ...file }, file.chunks);
    }
    await recordPreprocessingProgress(trx, project.id, { rows: summary.rows, bytes: storedBytes });
  });
  logPreprocessed(job, summary, { inMemory: true, ...pass.logFields });
  return true;
}

interface MemorySinks {
  readonly training: MemoryOutput;
  readonly holdout: MemoryOutput;
}
