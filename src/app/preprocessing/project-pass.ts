/**
 * One pass over a project's stored file by the pipeline the project asks for: the CSV pipeline
 * (a project without a definition: the file's own columns), or the event-log normalizer (a
 * definition: fixed columns and labels). The paths (small file, streamed) only say where the
 * sets go; a pass that fails has its sinks discarded here.
 */

import {
  type PreprocessingContext,
  type PreprocessingJob,
  splitSettings,
  storedFile,
} from "./context.js";
import type { PreprocessSummary } from "./csv/index.js";
import type { EventLogSummary } from "./event-log/normalizer.js";
import { type PassOutputs, preprocessEventLog, type SetSinks } from "./event-log-pass.js";
import type { StoreOutputs } from "./outcomes.js";
import { preprocessStoredBytes } from "./pipeline.js";

export interface PassHooks {
  /** The stored bytes read so far (a second pass starts again from 0). */
  readonly onStoredBytes: (bytes: number) => void;
  readonly onRows?: (rows: number) => void;
}

export interface ProjectPass<S extends SetSinks> {
  readonly sinks: S;
  readonly summary: PreprocessSummary | EventLogSummary;
  /** What the pass adds to the "dataset preprocessed" log line. */
  readonly logFields: Record<string, unknown>;
  /** Records the dataset (and the memberships) with the sets stored under these ids. */
  record(trainingBlobId: string, holdoutBlobId: string, storeOutputs?: StoreOutputs): Promise<void>;
}

export async function preprocessProjectFile<S extends SetSinks>(
  context: PreprocessingContext,
  job: PreprocessingJob,
  outputs: PassOutputs<S>,
  hooks: PassHooks,
): Promise<ProjectPass<S>> {
  const { project } = job;
  const open = () => storedFile(context, job);
  const definitionJson = project.effective_definition_json;
  if (definitionJson !== null) {
    const { summary, sinks } = await preprocessEventLog(
      {
        open,
        definitionJson,
        caseIdColumn: project.requested_case_id_column,
        holdoutFraction: project.holdout_fraction,
        ...hooks,
      },
      outputs,
    );
    return {
      sinks,
      summary,
      logFields: { grouped: summary.grouped },
      record: (training, holdout, store) =>
        context.outcomes.recordEventLog(project, summary, training, holdout, store),
    };
  }
  const sinks = await outputs.open();
  try {
    const summary = await preprocessStoredBytes(open(), splitSettings(project), sinks, hooks);
    return {
      sinks,
      summary,
      logFields: {},
      record: (training, holdout, store) =>
        context.outcomes.recordSuccess(project, summary, training, holdout, store),
    };
  } catch (error) {
    // The pass's own error says more than a failure to clean up after it.
    await outputs.discard(sinks).catch(() => {});
    throw error;
  }
}
