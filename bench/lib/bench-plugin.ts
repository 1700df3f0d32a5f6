/**
 * A plugin stream for load generation: registers, answers every OnlineInquiry, and (when
 * `instant`) answers each TrainingData at once with DataReport, TrainingStart and ModelName,
 * pipelined without waiting for acks, as a plugin that trains in no time would.
 */
import { type ClientDuplexStream, credentials, Metadata, status } from "@grpc/grpc-js";
import {
  type ConnectRequest,
  type ConnectResponse,
  PluginServiceClient,
  type TrainingData,
} from "../../src/gen/trainingcore/v1/plugin_service.js";

export interface PluginCounters {
  /** Reports (not registrations or inquiry answers) acked with code 0. */
  acked: number;
  /** ModelName acked with code 0: memberships completed. */
  trained: number;
  /** Acks with a non-zero code. */
  refused: number;
  trainingData: number;
  inquiries: number;
  /** wallMs of the last ModelName ack. */
  lastTrainedAt: number;
}

export function newCounters(): PluginCounters {
  return { acked: 0, trained: 0, refused: 0, trainingData: 0, inquiries: 0, lastTrainedAt: 0 };
}

type Kind = "register" | "report" | "model" | "inquiry";

export interface BenchPluginOptions {
  readonly address: string;
  readonly key: string;
  readonly counters: PluginCounters;
  /** Answer TrainingData at once (lifecycle); otherwise stay idle. */
  readonly instant: boolean;
  /** A shared client (several streams on one connection); default: one connection per stream. */
  readonly client?: PluginServiceClient;
  readonly onTrainingData?: (td: TrainingData, at: number) => void;
}

export class BenchPlugin {
  private sequence = 0;
  /** Sequence → what it was, for acks: sequences are answered in order. */
  private readonly kinds: Kind[] = [];
  private readonly stream: ClientDuplexStream<ConnectRequest, ConnectResponse>;
  private readonly client: PluginServiceClient;
  private readonly ownClient: boolean;
  readonly registered: Promise<void>;
  private resolveRegistered!: () => void;
  private rejectRegistered!: (error: Error) => void;

  constructor(private readonly options: BenchPluginOptions) {
    this.ownClient = !options.client;
    this.client =
      options.client ??
      new PluginServiceClient(options.address, credentials.createInsecure(), {
        // A connection of its own, as a plugin process has.
        "grpc.use_local_subchannel_pool": 1,
      });
    this.registered = new Promise((resolve, reject) => {
      this.resolveRegistered = resolve;
      this.rejectRegistered = reject;
    });
    // Wait for a connection rather than fail at once when a burst of connects overflows the
    // server's accept queue.
    this.stream = this.client.connect(new Metadata({ waitForReady: true }));
    this.stream.on("data", (response: ConnectResponse) => this.receive(response));
    this.stream.on("error", (error: Error) => this.rejectRegistered(error));
    this.send("register", { $case: "onlineReport", value: this.identity() });
  }

  close(): void {
    this.stream.end();
    if (this.ownClient) this.client.close();
  }

  private identity() {
    return {
      id: this.options.key,
      name: `bench ${this.options.key}`,
      type: "bench",
      description: "load generator",
      parameters: {},
      neededColumns: [],
      prescribes: false,
    };
  }

  private send(kind: Kind, message: NonNullable<ConnectRequest["message"]>): void {
    this.kinds.push(kind);
    this.stream.write({ sequence: ++this.sequence, message });
  }

  private receive(response: ConnectResponse): void {
    const message = response.message;
    const counters = this.options.counters;
    switch (message?.$case) {
      case "ack": {
        const kind = this.kinds.shift();
        if (message.value.code !== status.OK) {
          counters.refused++;
          if (kind === "register") this.rejectRegistered(new Error(message.value.message));
          return;
        }
        if (kind === "register") this.resolveRegistered();
        else if (kind === "report" || kind === "model") counters.acked++;
        if (kind === "model") {
          counters.trained++;
          counters.lastTrainedAt = performance.timeOrigin + performance.now();
        }
        return;
      }
      case "onlineInquiry":
        counters.inquiries++;
        this.send("inquiry", { $case: "onlineReport", value: this.identity() });
        return;
      case "trainingData": {
        counters.trainingData++;
        const td = message.value;
        this.options.onTrainingData?.(td, performance.timeOrigin + performance.now());
        if (!this.options.instant) return;
        const ids = { projectId: td.projectId, pluginId: td.pluginId };
        this.send("report", { $case: "dataReport", value: { ...ids, applicable: true } });
        this.send("report", { $case: "trainingStart", value: ids });
        this.send("model", {
          $case: "modelName",
          value: { ...ids, modelName: `bench-${td.pluginId}.bin` },
        });
        return;
      }
    }
  }
}
