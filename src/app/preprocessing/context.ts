/** What the preprocessing paths (streamed, small file, worker thread) get from the runner. */
import type { Knex } from "knex";
import type { Logger } from "../../logger.js";
import type { ProjectRow } from "../../store/rows.js";
import { readBlobChunks } from "../../store/sql/blobs.js";
import type { ClaimContext } from "../../store/sql/claims.js";
import type { CoreMetrics } from "../metrics/core-metrics.js";
import type { PreprocessingOutcomes } from "./outcomes.js";
import type { SplitSettings } from "./pipeline.js";
import type { PreprocessingProgress } from "./progress.js";

export interface PreprocessingContext {
  readonly db: Knex;
  readonly outcomes: PreprocessingOutcomes;
  readonly progress: PreprocessingProgress;
  readonly claims: () => ClaimContext;
  readonly metrics: CoreMetrics;
  /** Aborted when the runner stops: the pass ends at its next chunk. */
  readonly signal: AbortSignal;
}

/** One project being preprocessed. */
export interface PreprocessingJob {
  readonly project: ProjectRow;
  /** The size of its stored file. */
  readonly rawBytes: number;
  /** The runner's logger for this project. */
  readonly log: Logger;
  /** When the job started (ms since the epoch): the output blobs' creation time. */
  readonly started: number;
}

export function splitSettings(project: ProjectRow): SplitSettings {
  return {
    caseIdColumn: project.requested_case_id_column,
    holdoutFraction: project.holdout_fraction,
  };
}

/** The project's stored file, chunk by chunk, until `signal` aborts. */
export async function* storedFile(
  context: PreprocessingContext,
  job: PreprocessingJob,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of readBlobChunks(context.db, job.project.raw_blob_id, 0, job.rawBytes)) {
    context.signal.throwIfAborted();
    yield chunk;
  }
}

/** Logs the end of a successful pass, as every path does. */
export function logPreprocessed(
  job: PreprocessingJob,
  summary: { columns: unknown },
  extra: Record<string, unknown> = {},
): void {
  job.log.info(
    { ...summary, columns: undefined, ms: Date.now() - job.started, ...extra },
    "dataset preprocessed",
  );
}
