/**
 * A raw plugin for tests, speaking the protocol through the generated client: numbered
 * requests, acks matched by sequence, TrainingData and inquiries queued for the test to await.
 */
import {
  type ClientDuplexStream,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import type { ColumnDefinition } from "../../src/gen/trainingcore/v1/definition.js";
import {
  type Ack,
  type ConnectRequest,
  type ConnectResponse,
  PluginServiceClient,
  type PrescriptionRequest,
  type TrainingData,
} from "../../src/gen/trainingcore/v1/plugin_service.js";
import type { CasePrescription } from "../../src/gen/trainingcore/v1/prescription.js";
import { AsyncQueue } from "./async-queue.js";

export type Report = NonNullable<ConnectRequest["message"]>;

export interface StreamEnd {
  code: status;
  details: string;
}

export class TestPlugin {
  readonly trainingData = new AsyncQueue<TrainingData>();
  readonly prescriptionRequests = new AsyncQueue<PrescriptionRequest>();
  readonly acks: Ack[] = [];
  /** One item per OnlineInquiry received. */
  readonly inquiries = new AsyncQueue<number>();
  private inquiryCount = 0;
  /** close() was called: nothing more is written. */
  private closed = false;
  /** Resolves with the status the stream ended with. */
  readonly ended: Promise<StreamEnd>;
  private sequence = 0;
  private readonly pending = new Map<number, (ack: Ack) => void>();
  private readonly client: PluginServiceClient;
  private readonly stream: ClientDuplexStream<ConnectRequest, ConnectResponse>;

  private constructor(
    address: string,
    readonly key: string,
    private readonly answerInquiries: boolean,
    private readonly neededColumns: ColumnDefinition[] = [],
    private readonly prescribes = false,
  ) {
    this.client = new PluginServiceClient(address, credentials.createInsecure());
    this.stream = this.client.connect(new Metadata());
    this.ended = new Promise((resolve) => {
      this.stream.on("status", (s: { code: status; details: string }) =>
        resolve({ code: s.code, details: s.details }),
      );
      this.stream.on("error", (e: ServiceError) => resolve({ code: e.code, details: e.details }));
    });
    this.stream.on("data", (response: ConnectResponse) => this.receive(response));
  }

  /** Opens a stream and registers it with an OnlineReport; resolves with the first ack. */
  static async connect(
    address: string,
    key: string,
    options: {
      answerInquiries?: boolean;
      parameters?: Record<string, unknown>;
      /** OnlineReport.needed_columns; default none. */
      neededColumns?: ColumnDefinition[];
      /** OnlineReport.prescribes; default false. */
      prescribes?: boolean;
    } = {},
  ): Promise<TestPlugin> {
    const plugin = new TestPlugin(
      address,
      key,
      options.answerInquiries ?? true,
      options.neededColumns,
      options.prescribes,
    );
    try {
      const ack = await plugin.send({
        $case: "onlineReport",
        value: plugin.identity(options.parameters),
      });
      if (ack.code !== status.OK) {
        throw new Error(`registration refused: ${ack.code} ${ack.message}`);
      }
      return plugin;
    } catch (error) {
      plugin.close(); // the caller never sees it, so cannot close it
      throw error;
    }
  }

  /** Opens a stream without registering (for protocol-violation tests). */
  static open(address: string, key: string): TestPlugin {
    return new TestPlugin(address, key, false);
  }

  identity(parameters: Record<string, unknown> = { k: 3 }) {
    return {
      id: this.key,
      name: `Plugin ${this.key}`,
      type: "next-activity",
      description: "test plugin",
      parameters,
      neededColumns: this.neededColumns,
      prescribes: this.prescribes,
    };
  }

  send(message: Report | undefined, sequence = ++this.sequence): Promise<Ack> {
    if (this.closed) return Promise.reject(new Error("the test closed this stream"));
    return new Promise((resolve, reject) => {
      this.pending.set(sequence, resolve);
      this.ended.then((end) => reject(new Error(`stream ended (${end.code} ${end.details})`)));
      this.stream.write({ sequence, message });
    });
  }

  dataReport(td: TrainingData, applicable = true): Promise<Ack> {
    return this.send({
      $case: "dataReport",
      value: { projectId: td.projectId, pluginId: td.pluginId, applicable },
    });
  }

  trainingStart(td: TrainingData): Promise<Ack> {
    return this.send({
      $case: "trainingStart",
      value: { projectId: td.projectId, pluginId: td.pluginId },
    });
  }

  modelName(td: TrainingData, modelName = `${this.key}-${td.pluginId}.pkl`): Promise<Ack> {
    return this.send({
      $case: "modelName",
      value: { projectId: td.projectId, pluginId: td.pluginId, modelName },
    });
  }

  errorReport(td: TrainingData, detail: string): Promise<Ack> {
    return this.send({
      $case: "errorReport",
      value: { projectId: td.projectId, pluginId: td.pluginId, detail },
    });
  }

  /** A PrescriptionResult part. */
  answer(requestId: string, prescriptions: CasePrescription[], last = false): Promise<Ack> {
    return this.send({
      $case: "prescriptionResult",
      value: { requestId, prescriptions, last },
    });
  }

  /** A PrescriptionError. */
  prescriptionError(requestId: string, detail: string): Promise<Ack> {
    return this.send({ $case: "prescriptionError", value: { requestId, detail } });
  }

  /** Runs the happy path for one TrainingData: applicable, started, trained. */
  async train(td: TrainingData): Promise<void> {
    for (const ack of [
      await this.dataReport(td),
      await this.trainingStart(td),
      await this.modelName(td),
    ]) {
      if (ack.code !== status.OK) throw new Error(`report refused: ${ack.code} ${ack.message}`);
    }
  }

  /** Ends the stream and closes the client; again, or after cancel(): nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.end();
    this.client.close();
  }

  cancel(): void {
    this.closed = true;
    this.stream.cancel();
    this.client.close();
  }

  private receive(response: ConnectResponse): void {
    const message = response.message;
    switch (message?.$case) {
      case "ack": {
        this.acks.push(message.value);
        const resolve = this.pending.get(message.value.sequence);
        this.pending.delete(message.value.sequence);
        resolve?.(message.value);
        break;
      }
      case "trainingData":
        this.trainingData.push(message.value);
        break;
      case "prescriptionRequest":
        this.prescriptionRequests.push(message.value);
        break;
      case "onlineInquiry":
        this.inquiries.push(++this.inquiryCount);
        // Not after close(): writing to an ended stream is an error of the test client.
        if (this.answerInquiries && !this.closed) {
          this.send({ $case: "onlineReport", value: this.identity() }).catch(() => {});
        }
        break;
    }
  }
}
