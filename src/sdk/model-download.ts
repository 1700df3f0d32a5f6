/**
 * ModelService.DownloadModel from a plugin (or any client): a membership's stored model written
 * to a file. When the call fails with UNAVAILABLE (the core restarts, the connection drops) it
 * is retried after a jittered delay and resumes at the first byte not yet written
 * (`DownloadModelRequest.offset`). A `ModelCache` keeps each downloaded model for the life of
 * the process (per project and membership), and shares one download among concurrent callers.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { type ServiceError, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type {
  DownloadModelResponse,
  ModelServiceClient,
} from "../gen/trainingcore/v1/model_service.js";
import { Backoff, sleep } from "./timing.js";
import type { ReconnectOptions } from "./types.js";

/** A stored model, downloaded. */
export interface DownloadedModel {
  readonly projectId: number;
  readonly pluginId: number;
  /** The file holding the model. */
  readonly path: string;
  readonly sizeBytes: number;
  /** The model's bytes (reads the file). */
  read(): Promise<Buffer>;
}

export interface DownloadModelOptions {
  /**
   * Where to write the model. Default: a file in `cache`'s directory when a cache is given (and
   * the cached file when it holds the model already), else a new temporary directory's file.
   */
  readonly path?: string;
  /** Reuse, and keep, the model in this cache (see ModelCache). */
  readonly cache?: ModelCache;
  readonly signal?: AbortSignal;
  readonly reconnect?: ReconnectOptions;
  readonly logger?: Logger;
}

const defaultReconnect: ReconnectOptions = { initialDelayMs: 250, maxDelayMs: 30_000 };

function isRetryable(error: unknown): boolean {
  return (error as Partial<ServiceError> | null)?.code === status.UNAVAILABLE;
}

function downloaded(
  projectId: number,
  pluginId: number,
  path: string,
  sizeBytes: number,
): DownloadedModel {
  return { projectId, pluginId, path, sizeBytes, read: () => readFile(path) };
}

/**
 * Downloads the model stored for membership `pluginId` of project `projectId`. Rejects with
 * the core's error (a gRPC ServiceError: NOT_FOUND when no model is stored, PERMISSION_DENIED
 * for another key's model) or the signal's reason; retries UNAVAILABLE, resuming where it was
 * cut.
 */
export async function downloadModel(
  client: ModelServiceClient,
  projectId: number,
  pluginId: number,
  options: DownloadModelOptions = {},
): Promise<DownloadedModel> {
  if (options.cache && options.path === undefined) {
    return options.cache.get(client, projectId, pluginId, options);
  }
  const path =
    options.path ??
    join(await mkdtemp(join(tmpdir(), "training-core-model-")), modelFileName(projectId, pluginId));
  const sizeBytes = await downloadTo(client, projectId, pluginId, path, options);
  return downloaded(projectId, pluginId, path, sizeBytes);
}

function modelFileName(projectId: number, pluginId: number): string {
  return `model-${projectId}-${pluginId}`;
}

/**
 * Writes the model to `path` (through `path.part`, renamed once complete: `path` never holds
 * part of a model), resuming after UNAVAILABLE. Resolves with its size.
 */
export async function downloadTo(
  client: ModelServiceClient,
  projectId: number,
  pluginId: number,
  path: string,
  options: Pick<DownloadModelOptions, "signal" | "reconnect" | "logger"> = {},
): Promise<number> {
  const { signal, logger } = options;
  const part = `${path}.part`;
  await mkdir(dirname(path), { recursive: true });
  const out = createWriteStream(part);
  const backoff = new Backoff(options.reconnect ?? defaultReconnect);
  let written = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const call = client.downloadModel({ projectId, pluginId, offset: written });
      const cancel = () => call.cancel();
      signal?.addEventListener("abort", cancel, { once: true });
      try {
        for await (const response of call as AsyncIterable<DownloadModelResponse>) {
          if (response.chunk.length === 0) continue;
          written += response.chunk.length;
          backoff.reset();
          if (!out.write(response.chunk)) await once(out, "drain");
        }
        break;
      } catch (error) {
        signal?.throwIfAborted();
        if (!isRetryable(error)) throw error;
        const delayMs = backoff.next();
        logger?.warn(
          { err: error, projectId, pluginId, written, delayMs },
          "model download interrupted; resuming",
        );
        await sleep(delayMs, signal);
      } finally {
        signal?.removeEventListener("abort", cancel);
        call.cancel(); // a no-op once the call has ended
      }
    }
    out.end();
    await once(out, "close");
    await rename(part, path);
    return written;
  } catch (error) {
    out.destroy();
    await rm(part, { force: true });
    throw error;
  }
}

/**
 * Downloaded models kept for the life of the process, one per project and membership, in a
 * temporary directory (or `directory`) that `clear()` removes. Concurrent requests for one
 * model share one download; a failed download is not kept (the next request tries again).
 * A membership's stored model changes only before it is TRAINED, so a model downloaded for a
 * prescription (TRAINED) stays valid.
 */
export class ModelCache {
  private readonly models = new Map<string, Promise<DownloadedModel>>();
  private directory: Promise<string> | undefined;

  constructor(private readonly root?: string) {}

  get(
    client: ModelServiceClient,
    projectId: number,
    pluginId: number,
    options: Pick<DownloadModelOptions, "signal" | "reconnect" | "logger"> = {},
  ): Promise<DownloadedModel> {
    const key = `${projectId}/${pluginId}`;
    const cached = this.models.get(key);
    if (cached) return cached;
    const fetching = this.fetch(client, projectId, pluginId, options);
    this.models.set(key, fetching);
    fetching.catch(() => {
      if (this.models.get(key) === fetching) this.models.delete(key);
    });
    return fetching;
  }

  /** Forgets every model and removes the files. */
  async clear(): Promise<void> {
    const directory = this.directory;
    this.directory = undefined;
    this.models.clear();
    if (directory) await rm(await directory, { recursive: true, force: true }).catch(() => {});
  }

  private async fetch(
    client: ModelServiceClient,
    projectId: number,
    pluginId: number,
    options: Pick<DownloadModelOptions, "signal" | "reconnect" | "logger">,
  ): Promise<DownloadedModel> {
    this.directory ??= this.root
      ? mkdir(this.root, { recursive: true }).then(() => this.root as string)
      : mkdtemp(join(tmpdir(), "training-core-models-"));
    const path = join(await this.directory, modelFileName(projectId, pluginId));
    const existing = await stat(path).catch(() => undefined);
    const sizeBytes = existing
      ? existing.size
      : await downloadTo(client, projectId, pluginId, path, options);
    return downloaded(projectId, pluginId, path, sizeBytes);
  }
}
