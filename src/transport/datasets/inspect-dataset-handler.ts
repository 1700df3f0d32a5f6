import type { ServerUnaryCall, sendUnaryData } from "@grpc/grpc-js";
import type { Knex } from "knex";
import { inspectDataset } from "../../app/datasets/inspect-dataset.js";
import type {
  InspectDatasetRequest,
  InspectDatasetResponse,
} from "../../gen/trainingcore/v1/dataset_service.js";
import type { Logger } from "../../logger.js";
import { toProtoColumnMap } from "../event-log-definitions.js";
import { toServiceError } from "../grpc-errors.js";

export interface InspectDatasetDeps {
  readonly db: Knex;
  readonly logger: Logger;
  /** CORE_MAX_DATASET_BYTES: the limit of inline bytes, as for CreateProject. */
  readonly maxDatasetBytes: number;
}

/** DatasetService.InspectDataset: the head of a dataset and what the core infers of it. */
export function inspectDatasetHandler(deps: InspectDatasetDeps) {
  return (
    call: ServerUnaryCall<InspectDatasetRequest, InspectDatasetResponse>,
    callback: sendUnaryData<InspectDatasetResponse>,
  ): void => {
    const { datasetId, dataset } = call.request;
    inspectDataset(deps.db, { datasetId, dataset }, deps.maxDatasetBytes).then(
      (inspection) =>
        callback(null, {
          columns: [...inspection.columns],
          inferred: toProtoColumnMap(inspection.inferred),
          sampleRows: inspection.sampleRows.map((values) => ({ values: [...values] })),
          format: inspection.format,
        }),
      (error: unknown) => callback(toServiceError(error, deps.logger)),
    );
  };
}
