/**
 * The pipeline call every preprocessing path shares: a stored file's bytes (gunzipped when
 * compressed) through `preprocessDataset` into the training and holdout sinks, counting the
 * stored bytes read. Free of knex, so that the worker thread can load it too.
 */

import {
  type ChunkSink,
  DatasetError,
  type PreprocessSummary,
  preprocessDataset,
} from "./csv/index.js";
import { CompressedFileError, datasetBytes } from "./dataset-source.js";

/** How the project asks for its dataset to be split. */
export interface SplitSettings {
  readonly caseIdColumn: string;
  readonly holdoutFraction: number;
}

export interface PipelineHooks {
  /** The stored bytes read so far, as they are read. */
  readonly onStoredBytes: (bytes: number) => void;
  /** Rows so far, every 64k rows or 8 MiB and at the end (see `preprocessDataset`). */
  readonly onRows?: (rows: number) => void;
}

export function preprocessStoredBytes(
  stored: AsyncIterable<Uint8Array>,
  settings: SplitSettings,
  sinks: { training: ChunkSink; holdout: ChunkSink },
  hooks: PipelineHooks,
): Promise<PreprocessSummary> {
  const onRows = hooks.onRows;
  return preprocessDataset(
    datasetBytes(stored, hooks.onStoredBytes),
    {
      caseIdColumn: settings.caseIdColumn,
      holdoutFraction: settings.holdoutFraction,
      onProgress: onRows && (({ rows }) => onRows(rows)),
    },
    sinks,
  );
}

/** The dataset itself is bad (its message names the line): the project goes to ERROR. */
export function isDatasetRejection(error: unknown): error is DatasetError | CompressedFileError {
  return error instanceof DatasetError || error instanceof CompressedFileError;
}
