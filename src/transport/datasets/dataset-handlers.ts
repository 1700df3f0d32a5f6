import type {
  ServerReadableStream,
  ServerWritableStream,
  sendUnaryData,
  UntypedHandleCall,
} from "@grpc/grpc-js";
import type { Knex } from "knex";
import { checkDownloadAllowed } from "../../app/auth/download-access.js";
import { openDatasetDownload } from "../../app/datasets/download-dataset.js";
import { uploadDataset } from "../../app/datasets/upload-dataset.js";
import type {
  DatasetServiceServer,
  DownloadDatasetRequest,
  DownloadDatasetResponse,
  UploadDatasetRequest,
  UploadDatasetResponse,
  UploadMetadata,
} from "../../gen/trainingcore/v1/dataset_service.js";
import type { Logger } from "../../logger.js";
import { principalOf } from "../auth/authenticated-services.js";
import { toServiceError } from "../grpc-errors.js";
import { streamDownload } from "../transfers/download-stream.js";
import { receiveUpload, type UploadMessages } from "../transfers/upload-stream.js";
import { inspectDatasetHandler } from "./inspect-dataset-handler.js";

export interface DatasetHandlerDeps {
  readonly db: Knex;
  readonly logger: Logger;
  readonly maxUploadBytes: number;
  /** This replica's id: written on files being uploaded (see deleteOrphanedBlobs). */
  readonly replicaId: string;
  /** CORE_MAX_DATASET_BYTES: the limit of a dataset sent inline. */
  readonly maxDatasetBytes: number;
}

export function createDatasetHandlers(
  deps: DatasetHandlerDeps,
): DatasetServiceServer & Record<string, UntypedHandleCall> {
  return {
    uploadDataset: (
      call: ServerReadableStream<UploadDatasetRequest, UploadDatasetResponse>,
      callback: sendUnaryData<UploadDatasetResponse>,
    ) => {
      upload(call, deps).then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error, deps.logger)),
      );
    },
    downloadDataset: (
      call: ServerWritableStream<DownloadDatasetRequest, DownloadDatasetResponse>,
    ) => {
      const { trainingDfName, offset } = call.request;
      void streamDownload(
        call,
        async () => {
          // A plugin reads only the datasets of its own projects.
          await checkDownloadAllowed(deps.db, principalOf(call), trainingDfName);
          return openDatasetDownload(deps.db, trainingDfName, offset);
        },
        deps.logger,
      );
    },
    inspectDataset: inspectDatasetHandler(deps),
  };
}

const datasetUploadMessages: UploadMessages<UploadDatasetRequest, UploadMetadata> = {
  name: "UploadDatasetRequest",
  metadataOf: (request) =>
    request.message?.$case === "metadata" ? request.message.value : undefined,
  chunkOf: (request) => (request.message?.$case === "chunk" ? request.message.value : undefined),
  declaresContent: (metadata) => metadata.sizeBytes > 0 || metadata.sha256 !== "",
};

async function upload(
  call: ServerReadableStream<UploadDatasetRequest, UploadDatasetResponse>,
  deps: DatasetHandlerDeps,
): Promise<UploadDatasetResponse> {
  const { metadata, chunks } = await receiveUpload(call, datasetUploadMessages);
  const stored = await uploadDataset(
    deps.db,
    deps.maxUploadBytes,
    metadata,
    chunks,
    deps.replicaId,
  );
  deps.logger.info({ datasetId: stored.datasetId, bytes: stored.sizeBytes }, "dataset uploaded");
  return { datasetId: stored.datasetId, sizeBytes: stored.sizeBytes, sha256: stored.sha256 };
}
