/**
 * DatasetService.DownloadDataset as an async iterable of chunks. When the call fails with
 * UNAVAILABLE (the core restarts, the connection drops) it is retried after a jittered delay
 * and resumes at the first byte not yet yielded (`DownloadDatasetRequest.offset`).
 */
import { type ServiceError, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type {
  DatasetServiceClient,
  DownloadDatasetResponse,
} from "../gen/trainingcore/v1/dataset_service.js";
import { Backoff, sleep } from "./timing.js";
import type { ReconnectOptions } from "./types.js";

function isRetryable(error: unknown): boolean {
  return (error as Partial<ServiceError> | null)?.code === status.UNAVAILABLE;
}

export async function* downloadDataset(
  client: DatasetServiceClient,
  trainingDfName: string,
  signal: AbortSignal,
  retryDelays: ReconnectOptions,
  logger: Logger,
): AsyncGenerator<Buffer, void, undefined> {
  const backoff = new Backoff(retryDelays);
  let delivered = 0;
  for (;;) {
    signal.throwIfAborted();
    const call = client.downloadDataset({ trainingDfName, offset: delivered });
    const cancel = () => call.cancel();
    signal.addEventListener("abort", cancel, { once: true });
    try {
      for await (const response of call as AsyncIterable<DownloadDatasetResponse>) {
        const chunk = Buffer.from(response.chunk);
        if (chunk.length === 0) continue;
        delivered += chunk.length;
        backoff.reset();
        yield chunk;
      }
      return;
    } catch (error) {
      signal.throwIfAborted();
      if (!isRetryable(error)) throw error;
      const delayMs = backoff.next();
      logger.warn(
        { err: error, trainingDfName, delivered, delayMs },
        "download interrupted; retrying",
      );
      await sleep(delayMs, signal);
    } finally {
      signal.removeEventListener("abort", cancel);
      call.cancel(); // a no-op once the call has ended; stops it when the consumer broke off
    }
  }
}
