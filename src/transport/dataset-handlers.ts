import type { ServerWritableStream, UntypedHandleCall } from "@grpc/grpc-js";
import type { Knex } from "knex";
import { openDatasetDownload } from "../app/download-dataset.js";
import type {
  DatasetServiceServer,
  DownloadDatasetRequest,
  DownloadDatasetResponse,
} from "../gen/trainingcore/v1/dataset_service.js";
import type { Logger } from "../logger.js";
import { toServiceError } from "./grpc-errors.js";
import { StreamWriter } from "./stream-writer.js";

export function createDatasetHandlers(deps: {
  readonly db: Knex;
  readonly logger: Logger;
}): DatasetServiceServer & Record<string, UntypedHandleCall> {
  return {
    downloadDataset: (
      call: ServerWritableStream<DownloadDatasetRequest, DownloadDatasetResponse>,
    ) => {
      void download(call, deps);
    },
  };
}

async function download(
  call: ServerWritableStream<DownloadDatasetRequest, DownloadDatasetResponse>,
  deps: { readonly db: Knex; readonly logger: Logger },
): Promise<void> {
  const writer = new StreamWriter<DownloadDatasetResponse>(call);
  try {
    const chunks = await openDatasetDownload(deps.db, call.request.trainingDfName);
    for await (const chunk of chunks) {
      if (!writer.isOpen) return;
      await writer.write({ chunk });
    }
    if (writer.isOpen) call.end();
  } catch (error) {
    if (writer.isOpen) call.emit("error", toServiceError(error, deps.logger));
  }
}
