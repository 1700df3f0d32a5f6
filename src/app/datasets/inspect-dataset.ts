/**
 * InspectDataset: the head of a dataset (an upload, or bytes sent inline) with the definitions
 * the core would infer for its columns, for a consumer to start a definition from.
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import {
  type ColumnDefinition,
  effectiveDefinition,
  emptyDefinition,
} from "../../domain/event-log/index.js";
import type { DatasetHead } from "../preprocessing/event-log/event-rows.js";
import {
  type DatasetSource,
  findUpload,
  readDatasetHead,
  uploadNotFound,
} from "./dataset-heads.js";

export interface InspectDatasetInput {
  /** An upload's id; or `dataset` inline. Exactly one of them is set. */
  readonly datasetId: string;
  readonly dataset: Uint8Array;
}

export interface DatasetInspection extends DatasetHead {
  /** What the core infers for the columns it infers anything for (the others would be TEXT). */
  readonly inferred: ReadonlyMap<string, ColumnDefinition>;
}

export async function inspectDataset(
  db: Knex,
  input: InspectDatasetInput,
  maxDatasetBytes: number,
): Promise<DatasetInspection> {
  const inline = input.dataset.length > 0;
  if (inline === (input.datasetId !== "")) {
    throw new AppError(
      "INVALID_ARGUMENT",
      inline
        ? "set only one of dataset and dataset_id"
        : "a dataset is required: dataset (inline) or dataset_id (from UploadDataset)",
    );
  }
  if (input.dataset.length > maxDatasetBytes) {
    throw new AppError(
      "INVALID_ARGUMENT",
      `dataset has ${input.dataset.length} bytes; the limit is ${maxDatasetBytes} (CORE_MAX_DATASET_BYTES): upload larger files with UploadDataset and pass dataset_id`,
    );
  }
  let source: DatasetSource = { kind: "inline", bytes: input.dataset };
  if (!inline) {
    const upload = await findUpload(db, input.datasetId);
    if (!upload) throw uploadNotFound(input.datasetId);
    source = { kind: "upload", upload };
  }
  const head = await readDatasetHead(db, source);
  return { ...head, inferred: inferredDefinitions(head) };
}

/** Inference from the names, and for XES from the attribute types; TEXT is left out. */
function inferredDefinitions(head: DatasetHead): Map<string, ColumnDefinition> {
  const { columns } = effectiveDefinition(head.columns, emptyDefinition, {
    typedHints: head.typedHints,
  });
  return new Map([...columns].filter(([, definition]) => definition !== "TEXT"));
}
