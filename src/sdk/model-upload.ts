/**
 * ModelService.UploadModel from a plugin: the model file (a path or the bytes) streamed to the
 * core with its size and SHA-256 declared, so the core checks what arrived. An upload cut by
 * UNAVAILABLE (the core restarts, the connection drops) is sent again whole after a jittered
 * delay: the core keeps nothing of a cut upload, and storing the same model twice is harmless
 * (a repeat after the membership is TRAINED is accepted and changes nothing).
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { type ServiceError, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type {
  ModelServiceClient,
  UploadModelResponse,
} from "../gen/trainingcore/v1/model_service.js";
import { Backoff, sleep } from "./timing.js";
import type { ReconnectOptions } from "./types.js";

/** A model file: its path, or its bytes. */
export type ModelFile = string | Uint8Array;

export interface StoredModel {
  readonly modelName: string;
  readonly sizeBytes: number;
  /** Lower-case hex SHA-256, as the core computed it. */
  readonly sha256: string;
}

const chunkBytes = 1024 * 1024;

/** Size and SHA-256 of the file, read once before sending. */
async function describe(file: ModelFile): Promise<{ sizeBytes: number; sha256: string }> {
  const hash = createHash("sha256");
  if (typeof file !== "string") {
    return { sizeBytes: file.length, sha256: hash.update(file).digest("hex") };
  }
  const { size } = await stat(file);
  for await (const chunk of createReadStream(file, { highWaterMark: chunkBytes })) {
    hash.update(chunk as Buffer);
  }
  return { sizeBytes: size, sha256: hash.digest("hex") };
}

async function* contentOf(file: ModelFile): AsyncGenerator<Uint8Array> {
  if (typeof file !== "string") {
    for (let at = 0; at < file.length; at += chunkBytes) yield file.subarray(at, at + chunkBytes);
    return;
  }
  for await (const chunk of createReadStream(file, { highWaterMark: chunkBytes })) {
    yield chunk as Buffer;
  }
}

function isRetryable(error: unknown): boolean {
  return (error as Partial<ServiceError> | null)?.code === status.UNAVAILABLE;
}

export interface UploadModelOptions {
  readonly signal?: AbortSignal;
  readonly reconnect?: ReconnectOptions;
  readonly logger?: Logger;
}

/**
 * Stores `file` as the model of membership `pluginId` of `projectId`, under `modelName` (which
 * the membership's ModelName must then repeat). Rejects with the core's error (a gRPC
 * ServiceError: `code`, `details`) when it refuses the upload; retries UNAVAILABLE.
 */
export async function uploadModel(
  client: ModelServiceClient,
  target: { readonly projectId: number; readonly pluginId: number },
  modelName: string,
  file: ModelFile,
  options: UploadModelOptions = {},
): Promise<StoredModel> {
  const { signal, logger } = options;
  const declared = await describe(file);
  const backoff = new Backoff(options.reconnect ?? { initialDelayMs: 250, maxDelayMs: 30_000 });
  for (;;) {
    signal?.throwIfAborted();
    try {
      return await sendOnce(client, { ...target, modelName, ...declared }, file, signal);
    } catch (error) {
      signal?.throwIfAborted();
      if (!isRetryable(error)) throw error;
      const delayMs = backoff.next();
      logger?.warn(
        { err: error, ...target, modelName, delayMs },
        "model upload cut; sending again",
      );
      await sleep(delayMs, signal);
    }
  }
}

async function sendOnce(
  client: ModelServiceClient,
  metadata: {
    projectId: number;
    pluginId: number;
    modelName: string;
    sizeBytes: number;
    sha256: string;
  },
  file: ModelFile,
  signal: AbortSignal | undefined,
): Promise<UploadModelResponse> {
  let call!: ReturnType<ModelServiceClient["uploadModel"]>;
  const response = new Promise<UploadModelResponse>((resolve, reject) => {
    call = client.uploadModel((error: ServiceError | null, result) =>
      error ? reject(error) : resolve(result),
    );
  });
  const cancel = () => call.cancel();
  signal?.addEventListener("abort", cancel, { once: true });
  // The answer may come early (a refusal): stop sending then.
  let answered = false;
  const settled = response.then(
    () => {
      answered = true;
    },
    () => {
      answered = true;
    },
  );
  try {
    call.write({ content: { $case: "metadata", value: metadata } });
    for await (const chunk of contentOf(file)) {
      if (answered) break;
      const value = Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      if (!call.write({ content: { $case: "chunk", value } })) {
        await Promise.race([once(call, "drain"), settled]);
      }
    }
    call.end();
    return await response;
  } finally {
    signal?.removeEventListener("abort", cancel);
  }
}
