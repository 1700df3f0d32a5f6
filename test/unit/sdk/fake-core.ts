/**
 * A fake training core for the SDK unit tests (not a test file): a grpc-js server on 127.0.0.1
 * implementing PluginService, DatasetService and ModelService (models kept in memory), fully
 * scripted by the test. Every Connect stream
 * is handed to the test as a `FakeStream`: it sees each request, decides each ack (by default
 * code 0 at once), sends TrainingData and inquiries, and ends the stream with any status.
 */
import {
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
} from "../../../src/gen/trainingcore/v1/dataset_service.js";
import {
  ModelServiceService,
  type UploadModelRequest,
  type UploadModelResponse,
} from "../../../src/gen/trainingcore/v1/model_service.js";
import {
  type ConnectRequest,
  type ConnectResponse,
  PluginServiceService,
  type TrainingData,
} from "../../../src/gen/trainingcore/v1/plugin_service.js";
import { AsyncQueue } from "../../helpers/async-queue.js";

/** What to answer a request with: an ack code (and message), or "hold" to answer it later. */
export type AckDecision = number | { code: number; message: string } | "hold";
export type AckPolicy = (request: ConnectRequest, stream: FakeStream) => AckDecision;

export class FakeStream {
  /** Every request, in arrival order (`next()` waits for the next one). */
  readonly requests = new AsyncQueue<ConnectRequest>();
  readonly received: ConnectRequest[] = [];
  /** Resolves when the client half-closed or cancelled the stream. */
  readonly clientDone: Promise<"half-closed" | "cancelled">;
  private open = true;
  /** Whether a half-close by the client ends the stream with OK at once. */
  endOnHalfClose = true;

  constructor(
    private readonly call: ServerDuplexStream<ConnectRequest, ConnectResponse>,
    private readonly policy: () => AckPolicy,
  ) {
    this.clientDone = new Promise((resolve) => {
      call.on("end", () => {
        resolve("half-closed");
        // Like the core: a half-closed stream ends with OK once its acks are out.
        if (this.endOnHalfClose) this.end(status.OK);
      });
      call.on("cancelled", () => {
        this.open = false;
        resolve("cancelled");
      });
    });
    call.on("data", (request: ConnectRequest) => {
      this.received.push(request);
      this.requests.push(request);
      const decision = this.policy()(request, this);
      if (decision === "hold") return;
      if (typeof decision === "number") this.ack(request.sequence, decision);
      else this.ack(request.sequence, decision.code, decision.message);
    });
    call.on("error", () => {});
  }

  get isOpen(): boolean {
    return this.open;
  }

  send(response: ConnectResponse): void {
    if (this.open) this.call.write(response);
  }

  ack(sequence: number, code = 0, message = ""): void {
    this.send({ message: { $case: "ack", value: { sequence, code, message } } });
  }

  trainingData(data: Partial<TrainingData> & { pluginId: number }): void {
    this.send({
      message: {
        $case: "trainingData",
        value: {
          projectId: 1,
          trainingDfName: "td_test",
          additionalInfo: {},
          parameters: {},
          definition: undefined,
          ...data,
        },
      },
    });
  }

  inquiry(): void {
    this.send({ message: { $case: "onlineInquiry", value: {} } });
  }

  /** Ends the stream with a status (as the core does on shutdown or on a bad first message). */
  end(code: status, details = ""): void {
    if (!this.open) return;
    this.open = false;
    if (code === status.OK) this.call.end();
    else this.call.emit("error", { code, details, message: details });
  }
}

/** The default policy: every request is stored (code 0). */
export const ackAll: AckPolicy = () => 0;

export class FakeCore {
  readonly streams = new AsyncQueue<FakeStream>();
  readonly allStreams: FakeStream[] = [];
  /** Datasets by name, served by DownloadDataset as the given chunks. */
  readonly datasets = new Map<string, Buffer[]>();
  readonly downloads: DownloadDatasetRequest[] = [];
  /** Models uploaded with ModelService.UploadModel, by "projectId/pluginId". */
  readonly models = new Map<string, { modelName: string; bytes: Buffer }>();
  /** Called before serving each download; throw-free hook to end the call early. */
  onDownload:
    | ((request: DownloadDatasetRequest, call: ServerWritableStream<unknown, unknown>) => boolean)
    | undefined;
  policy: AckPolicy = ackAll;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(port = 0): Promise<FakeCore> {
    const server = new Server();
    let core: FakeCore | undefined;
    server.addService(PluginServiceService, {
      connect: (call: ServerDuplexStream<ConnectRequest, ConnectResponse>) => {
        const fake = core as FakeCore;
        const stream = new FakeStream(call, () => fake.policy);
        fake.allStreams.push(stream);
        fake.streams.push(stream);
      },
    });
    server.addService(DatasetServiceService, {
      downloadDataset: (
        call: ServerWritableStream<DownloadDatasetRequest, DownloadDatasetResponse>,
      ) => (core as FakeCore).download(call),
      uploadDataset: (_call: unknown, callback: sendUnaryData<unknown>) =>
        callback({ code: status.UNIMPLEMENTED, details: "not in the fake" }),
    });
    server.addService(ModelServiceService, {
      uploadModel: (
        call: ServerReadableStream<UploadModelRequest, UploadModelResponse>,
        callback: sendUnaryData<UploadModelResponse>,
      ) => (core as FakeCore).upload(call, callback),
      downloadModel: (call: ServerWritableStream<unknown, unknown>) =>
        call.emit("error", { code: status.UNIMPLEMENTED, details: "not in the fake" }),
    });
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, p) =>
        error ? reject(error) : resolve(p),
      ),
    );
    core = new FakeCore(server, bound);
    return core;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Goes away like the core does on shutdown: open streams end with UNAVAILABLE, then the port closes. */
  async stop(): Promise<void> {
    for (const stream of this.allStreams) stream.end(status.UNAVAILABLE, "fake core shutting down");
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, 1_000);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private upload(
    call: ServerReadableStream<UploadModelRequest, UploadModelResponse>,
    callback: sendUnaryData<UploadModelResponse>,
  ): void {
    let metadata: { key: string; modelName: string } | undefined;
    const chunks: Buffer[] = [];
    call.on("data", (request: UploadModelRequest) => {
      if (request.content?.$case === "metadata") {
        const { projectId, pluginId, modelName } = request.content.value;
        metadata = { key: `${projectId}/${pluginId}`, modelName };
      } else if (request.content?.$case === "chunk")
        chunks.push(Buffer.from(request.content.value));
    });
    call.on("end", () => {
      if (!metadata) {
        callback({ code: status.INVALID_ARGUMENT, details: "no metadata" });
        return;
      }
      const bytes = Buffer.concat(chunks);
      this.models.set(metadata.key, { modelName: metadata.modelName, bytes });
      callback(null, { modelName: metadata.modelName, sizeBytes: bytes.length, sha256: "" });
    });
  }

  private download(call: ServerWritableStream<DownloadDatasetRequest, DownloadDatasetResponse>) {
    this.downloads.push(call.request);
    if (this.onDownload && !this.onDownload(call.request, call)) return;
    const chunks = this.datasets.get(call.request.trainingDfName);
    if (!chunks) {
      call.emit("error", { code: status.NOT_FOUND, details: "no such dataset" });
      return;
    }
    let skip = Number(call.request.offset);
    for (const chunk of chunks) {
      const part = chunk.subarray(Math.min(skip, chunk.length));
      skip -= chunk.length - part.length;
      if (part.length > 0) call.write({ chunk: part });
    }
    call.end();
  }
}

/** A promise with its resolve function, to gate handlers from the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Waits for the next request on `stream` that carries `kind`, skipping the others. */
export async function nextOf<K extends NonNullable<ConnectRequest["message"]>["$case"]>(
  stream: FakeStream,
  kind: K,
): Promise<ConnectRequest & { message: Extract<ConnectRequest["message"], { $case: K }> }> {
  for (;;) {
    const request = await stream.requests.next(5_000);
    if (request.message?.$case === kind) {
      return request as ConnectRequest & {
        message: Extract<ConnectRequest["message"], { $case: K }>;
      };
    }
  }
}
