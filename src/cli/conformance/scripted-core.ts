/**
 * The conformance kit's core: a grpc-js server on a free loopback port that speaks the plugin
 * side of the protocol (Connect, DownloadDataset, UploadModel, DownloadModel) as a scenario
 * scripts it, and records everything the plugin sends.
 */
import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerWritableStream,
  type sendUnaryData,
  status,
} from "@grpc/grpc-js";
import {
  DatasetServiceService,
  type DownloadDatasetRequest,
  type DownloadDatasetResponse,
} from "../../gen/trainingcore/v1/dataset_service.js";
import {
  type DownloadModelRequest,
  type DownloadModelResponse,
  ModelServiceService,
  type UploadModelRequest,
  type UploadModelResponse,
} from "../../gen/trainingcore/v1/model_service.js";
import {
  type ConnectRequest,
  type ConnectResponse,
  PluginServiceService,
} from "../../gen/trainingcore/v1/plugin_service.js";

/** What the core answers a request with: a code and message, or undefined to hold the ack. */
export type AckPolicy = (
  stream: ScriptedStream,
  request: ConnectRequest,
) => { code: number; message?: string } | undefined;

export const ackEverything: AckPolicy = () => ({ code: status.OK });

type Waiter = { test: () => boolean; resolve: () => void };

/** Resolves waiters when something new was recorded. */
class Changes {
  private waiters: Waiter[] = [];

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      if (waiter.test()) waiter.resolve();
      else this.waiters.push(waiter);
    }
  }

  /** Resolves true once `test()` holds, false after `timeoutMs`. */
  until(test: () => boolean, timeoutMs: number): Promise<boolean> {
    if (test()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter: Waiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.push(waiter);
    });
  }
}

/** One Connect call of the plugin. */
export class ScriptedStream {
  readonly received: ConnectRequest[] = [];
  ended = false;
  /** The plugin half-closed its side (a clean goodbye). */
  halfClosed = false;

  constructor(
    private readonly call: ServerDuplexStream<ConnectRequest, ConnectResponse>,
    readonly policy: { current: AckPolicy },
    private readonly changes: Changes,
  ) {}

  send(message: ConnectResponse["message"]): void {
    if (!this.ended) this.call.write({ message });
  }

  ack(sequence: number, code = 0, message = ""): void {
    this.send({ $case: "ack", value: { sequence, code, message } });
  }

  /** Ends the stream with a status (UNAVAILABLE by default, as a core shutting down). */
  end(code: number = status.UNAVAILABLE, details = "the conformance kit cut the stream"): void {
    if (this.ended) return;
    this.ended = true;
    this.call.emit("error", { code, details, metadata: new Metadata() });
    this.changes.notify();
  }

  /** The requests of one kind (`$case`), in the order received. */
  of(kind: string): ConnectRequest[] {
    return this.received.filter((r) => r.message?.$case === kind);
  }

  /** @internal */
  record(request: ConnectRequest): void {
    this.received.push(request);
    const answer = this.policy.current(this, request);
    if (answer) this.ack(request.sequence, answer.code, answer.message ?? "");
    this.changes.notify();
  }
}

export interface DownloadRecord {
  readonly name: string;
  readonly offset: number;
  /** Bytes sent before the call ended. */
  sent: number;
  completed: boolean;
}

export class ScriptedCore {
  readonly streams: ScriptedStream[] = [];
  readonly datasets = new Map<string, Buffer>();
  readonly downloads: DownloadRecord[] = [];
  readonly models = new Map<string, Buffer>();
  /** The next DownloadDataset calls are cut with UNAVAILABLE after this many bytes. */
  cutDownloadsAfter: number | undefined;
  cutDownloads = 0;
  readonly policy: { current: AckPolicy } = { current: ackEverything };
  readonly changes = new Changes();
  private readonly server = new Server();
  address = "";
  /** When set, every call must carry `authorization: Bearer <token>` (else UNAUTHENTICATED). */
  token: string | undefined;
  /** Calls refused for a missing or wrong token, by method. */
  readonly refusedTokens: string[] = [];

  /** False (and the call refused) when a token is required and the call lacks it. */
  private authorized(
    method: string,
    metadata: Metadata,
    refuse: (details: string) => void,
  ): boolean {
    if (!this.token) return true;
    if (metadata.get("authorization")[0] === `Bearer ${this.token}`) return true;
    this.refusedTokens.push(method);
    refuse(`${method} without authorization: Bearer <the --token given to the kit>`);
    this.changes.notify();
    return false;
  }

  async start(): Promise<void> {
    this.server.addService(PluginServiceService, {
      connect: (call: ServerDuplexStream<ConnectRequest, ConnectResponse>) => this.connect(call),
    });
    this.server.addService(DatasetServiceService, {
      uploadDataset: (_call: unknown, done: sendUnaryData<unknown>) =>
        done({ code: status.UNIMPLEMENTED, details: "not in the conformance kit" }),
      downloadDataset: (
        call: ServerWritableStream<DownloadDatasetRequest, DownloadDatasetResponse>,
      ) => this.downloadDataset(call),
      inspectDataset: (_call: unknown, done: sendUnaryData<unknown>) =>
        done({ code: status.UNIMPLEMENTED, details: "not in the conformance kit" }),
    });
    this.server.addService(ModelServiceService, {
      uploadModel: (
        call: ServerReadableStream<UploadModelRequest, UploadModelResponse>,
        done: sendUnaryData<UploadModelResponse>,
      ) => this.uploadModel(call, done),
      downloadModel: (call: ServerWritableStream<DownloadModelRequest, DownloadModelResponse>) =>
        this.downloadModel(call),
    });
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    this.address = `127.0.0.1:${port}`;
  }

  stop(): void {
    for (const stream of this.streams) stream.end(status.UNAVAILABLE, "the kit is done");
    this.server.forceShutdown();
  }

  /** Resolves true once `test()` holds (checked at each change), false after `timeoutMs`. */
  until(test: () => boolean, timeoutMs: number): Promise<boolean> {
    return this.changes.until(test, timeoutMs);
  }

  /** The `n`-th stream (from 1) once it opened and its first request arrived. */
  async stream(n: number, timeoutMs: number): Promise<ScriptedStream | undefined> {
    const opened = await this.until(
      () => (this.streams[n - 1]?.received.length ?? 0) > 0,
      timeoutMs,
    );
    return opened ? this.streams[n - 1] : undefined;
  }

  private connect(call: ServerDuplexStream<ConnectRequest, ConnectResponse>): void {
    const refuse = (details: string) =>
      call.emit("error", { code: status.UNAUTHENTICATED, details });
    if (!this.authorized("Connect", call.metadata, refuse)) return;
    const stream = new ScriptedStream(call, this.policy, this.changes);
    this.streams.push(stream);
    call.on("data", (request: ConnectRequest) => stream.record(request));
    call.on("end", () => {
      stream.halfClosed = true;
      if (!stream.ended) {
        stream.ended = true;
        call.end();
      }
      this.changes.notify();
    });
    call.on("error", () => {
      stream.ended = true;
      this.changes.notify();
    });
    call.on("cancelled", () => {
      stream.ended = true;
      this.changes.notify();
    });
    this.changes.notify();
  }

  private downloadDataset(
    call: ServerWritableStream<DownloadDatasetRequest, DownloadDatasetResponse>,
  ): void {
    const refuse = (details: string) =>
      call.emit("error", { code: status.UNAUTHENTICATED, details });
    if (!this.authorized("DownloadDataset", call.metadata, refuse)) return;
    const { trainingDfName: name, offset } = call.request;
    const data = this.datasets.get(name);
    if (!data) {
      call.emit("error", { code: status.NOT_FOUND, details: `dataset ${name} does not exist` });
      return;
    }
    const record: DownloadRecord = { name, offset, sent: 0, completed: false };
    this.downloads.push(record);
    const body = data.subarray(offset);
    const cut = this.cutDownloads > 0 ? this.cutDownloadsAfter : undefined;
    if (cut !== undefined) {
      this.cutDownloads--;
      call.write({ chunk: body.subarray(0, cut) });
      record.sent = Math.min(cut, body.length);
      setTimeout(() => {
        call.emit("error", { code: status.UNAVAILABLE, details: "the kit cut the download" });
        this.changes.notify();
      }, 50);
      return;
    }
    for (let start = 0; start < body.length; start += 16 * 1024) {
      call.write({ chunk: body.subarray(start, start + 16 * 1024) });
    }
    record.sent = body.length;
    record.completed = true;
    call.end();
    this.changes.notify();
  }

  private uploadModel(
    call: ServerReadableStream<UploadModelRequest, UploadModelResponse>,
    done: sendUnaryData<UploadModelResponse>,
  ): void {
    let modelName = "";
    let key = "";
    const chunks: Buffer[] = [];
    call.on("data", (request: UploadModelRequest) => {
      if (request.content?.$case === "metadata") {
        const m = request.content.value;
        modelName = m.modelName;
        key = `${m.projectId}/${m.pluginId}`;
      } else if (request.content?.$case === "chunk") {
        chunks.push(Buffer.from(request.content.value));
      }
    });
    call.on("end", () => {
      const body = Buffer.concat(chunks);
      this.models.set(key, body);
      done(null, { modelName, sizeBytes: body.length, sha256: "" });
      this.changes.notify();
    });
  }

  private downloadModel(
    call: ServerWritableStream<DownloadModelRequest, DownloadModelResponse>,
  ): void {
    const { projectId, pluginId, offset } = call.request;
    const body = this.models.get(`${projectId}/${pluginId}`);
    if (!body) {
      call.emit("error", { code: status.NOT_FOUND, details: "no model stored" });
      return;
    }
    call.write({ chunk: body.subarray(offset) });
    call.end();
  }
}
