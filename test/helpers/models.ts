/** ModelService through the generated client, for tests. */
import { type ChannelCredentials, type ClientOptions, credentials, Metadata } from "@grpc/grpc-js";
import {
  ModelServiceClient,
  type UploadModelResponse,
} from "../../src/gen/trainingcore/v1/model_service.js";
import { sha256Of } from "./datasets.js";

export function modelClient(
  address: string,
  options: { credentials?: ChannelCredentials; clientOptions?: ClientOptions } = {},
): ModelServiceClient {
  return new ModelServiceClient(
    address,
    options.credentials ?? credentials.createInsecure(),
    options.clientOptions ?? {},
  );
}

export interface ModelUploadOptions {
  chunkBytes?: number;
  /** Declared size; defaults to the real size. */
  sizeBytes?: number;
  /** Declared sha256; defaults to the real hash. */
  sha256?: string;
  metadata?: Metadata;
}

/** Uploads `data` as the model of a membership, in chunks. */
export function uploadModel(
  client: ModelServiceClient,
  target: { projectId: number; pluginId: number },
  modelName: string,
  data: Buffer,
  options: ModelUploadOptions = {},
): Promise<UploadModelResponse> {
  return new Promise((resolve, reject) => {
    const call = client.uploadModel(options.metadata ?? new Metadata(), (error, response) =>
      error ? reject(error) : resolve(response),
    );
    call.on("error", () => {});
    call.write({
      content: {
        $case: "metadata",
        value: {
          ...target,
          modelName,
          sizeBytes: options.sizeBytes ?? data.length,
          sha256: options.sha256 ?? sha256Of(data),
        },
      },
    });
    const chunkBytes = options.chunkBytes ?? 64 * 1024;
    for (let offset = 0; offset < data.length; offset += chunkBytes) {
      call.write({
        content: { $case: "chunk", value: data.subarray(offset, offset + chunkBytes) },
      });
    }
    call.end();
  });
}

/** Downloads a membership's model from `offset` on. */
export function downloadModel(
  client: ModelServiceClient,
  target: { projectId: number; pluginId: number },
  offset = 0,
  metadata = new Metadata(),
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stream = client.downloadModel({ ...target, offset }, metadata);
    stream.on("data", (response: { chunk: Buffer }) => chunks.push(response.chunk));
    stream.on("error", reject);
    stream.on("end", () => resolve(Buffer.concat(chunks)));
  });
}
