import type {
  ServerReadableStream,
  ServerWritableStream,
  sendUnaryData,
  UntypedHandleCall,
} from "@grpc/grpc-js";
import type { Knex } from "knex";
import { checkDownloadAllowed } from "../app/auth/download-access.js";
import { openDatasetDownload } from "../app/download-dataset.js";
import { AppError } from "../app/errors.js";
import { uploadDataset } from "../app/upload-dataset.js";
import type {
  DatasetServiceServer,
  DownloadDatasetRequest,
  DownloadDatasetResponse,
  UploadDatasetRequest,
  UploadDatasetResponse,
} from "../gen/trainingcore/v1/dataset_service.js";
import type { Logger } from "../logger.js";
import { principalOf } from "./auth.js";
import { toServiceError } from "./grpc-errors.js";
import { StreamWriter } from "./stream-writer.js";

export interface DatasetHandlerDeps {
  readonly db: Knex;
  readonly logger: Logger;
  readonly maxUploadBytes: number;
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
      void download(call, deps);
    },
  };
}

async function upload(
  call: ServerReadableStream<UploadDatasetRequest, UploadDatasetResponse>,
  deps: DatasetHandlerDeps,
): Promise<UploadDatasetResponse> {
  // destroyOnReturn: false keeps the call usable for the response after the last message.
  const messages = call.iterator({
    destroyOnReturn: false,
  }) as AsyncIterableIterator<UploadDatasetRequest>;
  const first = await messages.next();
  const metadata = first.done ? undefined : first.value.message;
  if (metadata?.$case !== "metadata") {
    throw new AppError("INVALID_ARGUMENT", "the first UploadDatasetRequest must carry metadata");
  }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for await (const request of messages) {
      if (request.message?.$case !== "chunk") {
        throw new AppError(
          "INVALID_ARGUMENT",
          "after the metadata, every UploadDatasetRequest must carry a chunk",
        );
      }
      yield request.message.value;
    }
    // A cancelled call also ends the message stream, and is flagged a few milliseconds later:
    // give the cancellation a moment to show before the upload is kept.
    if (call.cancelled || (await cancelledWithin(call, cancelGraceMs))) {
      throw new AppError("UNAVAILABLE", "the client cancelled the upload");
    }
  }
  const stored = await uploadDataset(deps.db, deps.maxUploadBytes, metadata.value, chunks());
  deps.logger.info({ datasetId: stored.datasetId, bytes: stored.sizeBytes }, "dataset uploaded");
  return { datasetId: stored.datasetId, sizeBytes: stored.sizeBytes, sha256: stored.sha256 };
}

/** How long an ended upload waits for a cancellation that may follow its end. */
const cancelGraceMs = 50;

function cancelledWithin(
  call: ServerReadableStream<unknown, unknown>,
  ms: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      call.off("cancelled", onCancelled);
      resolve(false);
    }, ms);
    const onCancelled = () => {
      clearTimeout(timer);
      resolve(true);
    };
    call.once("cancelled", onCancelled);
  });
}

async function download(
  call: ServerWritableStream<DownloadDatasetRequest, DownloadDatasetResponse>,
  deps: DatasetHandlerDeps,
): Promise<void> {
  const writer = new StreamWriter<DownloadDatasetResponse>(call);
  try {
    // A plugin reads only the datasets of its own projects.
    await checkDownloadAllowed(deps.db, principalOf(call), call.request.trainingDfName);
    const chunks = await openDatasetDownload(
      deps.db,
      call.request.trainingDfName,
      call.request.offset,
    );
    for await (const chunk of chunks) {
      if (!writer.isOpen) return;
      await writer.write({ chunk });
    }
    if (writer.isOpen) call.end();
  } catch (error) {
    if (writer.isOpen) call.emit("error", toServiceError(error, deps.logger));
  }
}
