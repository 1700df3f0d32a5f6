/** ModelService: UploadModel and DownloadModel, thin over app/models. */
import type {
  ServerReadableStream,
  ServerWritableStream,
  sendUnaryData,
  UntypedHandleCall,
} from "@grpc/grpc-js";
import type { Knex } from "knex";
import { openModelDownload } from "../../app/models/download-model.js";
import { uploadModel } from "../../app/models/upload-model.js";
import {
  type DownloadModelRequest,
  type DownloadModelResponse,
  type ModelMetadata,
  type ModelServiceServer,
  ModelServiceService,
  type UploadModelRequest,
  type UploadModelResponse,
} from "../../gen/trainingcore/v1/model_service.js";
import type { Logger } from "../../logger.js";
import { principalOf } from "../auth/authenticated-services.js";
import { encodeDownloadResponse } from "../datasets/download-encoding.js";
import { toServiceError } from "../grpc-errors.js";
import { streamDownload } from "../transfers/download-stream.js";
import { receiveUpload, type UploadMessages } from "../transfers/upload-stream.js";

export interface ModelHandlerDeps {
  readonly db: Knex;
  readonly logger: Logger;
  /** CORE_MAX_UPLOAD_BYTES. */
  readonly maxUploadBytes: number;
  /** This replica's id: written on files being uploaded (see deleteOrphanedBlobs). */
  readonly replicaId: string;
}

/**
 * ModelService as generated, but with the one-copy encoder for DownloadModel responses (the
 * message is laid out as DownloadDatasetResponse: one `bytes chunk = 1`).
 */
export const modelService = {
  ...ModelServiceService,
  downloadModel: {
    ...ModelServiceService.downloadModel,
    responseSerialize: encodeDownloadResponse,
  },
} as const;

export function createModelHandlers(
  deps: ModelHandlerDeps,
): ModelServiceServer & Record<string, UntypedHandleCall> {
  return {
    uploadModel: (
      call: ServerReadableStream<UploadModelRequest, UploadModelResponse>,
      callback: sendUnaryData<UploadModelResponse>,
    ) => {
      upload(call, deps).then(
        (response) => callback(null, response),
        (error: unknown) => callback(toServiceError(error, deps.logger)),
      );
    },
    downloadModel: (call: ServerWritableStream<DownloadModelRequest, DownloadModelResponse>) => {
      const { projectId, pluginId, offset } = call.request;
      void streamDownload(
        call,
        () => openModelDownload(deps.db, principalOf(call), { projectId, pluginId }, offset),
        deps.logger,
      );
    },
  };
}

const modelUploadMessages: UploadMessages<UploadModelRequest, ModelMetadata> = {
  name: "UploadModelRequest",
  metadataOf: (request) =>
    request.content?.$case === "metadata" ? request.content.value : undefined,
  chunkOf: (request) => (request.content?.$case === "chunk" ? request.content.value : undefined),
  declaresContent: (metadata) => metadata.sizeBytes > 0 || metadata.sha256 !== "",
};

async function upload(
  call: ServerReadableStream<UploadModelRequest, UploadModelResponse>,
  deps: ModelHandlerDeps,
): Promise<UploadModelResponse> {
  const principal = principalOf(call);
  const { metadata, chunks } = await receiveUpload(call, modelUploadMessages);
  const stored = await uploadModel(deps, principal, metadata, chunks);
  deps.logger.info(
    {
      projectId: metadata.projectId,
      pluginId: metadata.pluginId,
      modelName: stored.modelName,
      bytes: stored.sizeBytes,
      unchanged: stored.unchanged,
    },
    stored.unchanged ? "model upload repeated; the stored model stays" : "model stored",
  );
  return { modelName: stored.modelName, sizeBytes: stored.sizeBytes, sha256: stored.sha256 };
}
