/** Streams a file to DatasetService.UploadDataset with backpressure, reporting bytes sent. */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { credentials, type ServiceError } from "@grpc/grpc-js";
import {
  DatasetServiceClient,
  type UploadDatasetResponse,
} from "../gen/trainingcore/v1/dataset_service.js";
import { bearerInterceptor } from "../sdk/bearer.js";

const chunkBytes = 1024 * 1024;

/**
 * HTTP/2 windows of 16 MiB instead of 64 KiB (as the SDK's channels): fewer round trips for
 * flow control on large transfers.
 */
const channelOptions = {
  "grpc-node.flow_control_window": 16 * 1024 * 1024,
};

export async function uploadFile(
  address: string,
  path: string,
  onProgress: (sent: number, total: number) => void,
  token = "",
): Promise<UploadDatasetResponse> {
  const total = (await stat(path)).size;
  const client = new DatasetServiceClient(
    address,
    credentials.createInsecure(),
    token ? { ...channelOptions, interceptors: [bearerInterceptor(token)] } : channelOptions,
  );
  const hash = createHash("sha256");
  try {
    let call!: ReturnType<DatasetServiceClient["uploadDataset"]>;
    const response = new Promise<UploadDatasetResponse>((resolve, reject) => {
      call = client.uploadDataset((error: ServiceError | null, result) =>
        error ? reject(error) : resolve(result),
      );
    });
    // The size is checked by the core; the hash is compared here, once everything was sent.
    call.write({
      message: {
        $case: "metadata",
        value: { fileName: basename(path), sizeBytes: total, sha256: "" },
      },
    });
    let sent = 0;
    for await (const chunk of createReadStream(path, { highWaterMark: chunkBytes })) {
      hash.update(chunk as Buffer);
      if (!call.write({ message: { $case: "chunk", value: chunk as Buffer } })) {
        await Promise.race([once(call, "drain"), response]);
      }
      sent += (chunk as Buffer).length;
      onProgress(sent, total);
    }
    call.end();
    const result = await response;
    const local = hash.digest("hex");
    if (result.sha256 !== local) {
      throw new Error(
        `the core stored a file with sha256 ${result.sha256}, but ${path} has ${local}`,
      );
    }
    return result;
  } finally {
    client.close();
  }
}
