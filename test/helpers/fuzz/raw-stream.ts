// A raw Connect stream: writes what it is given (any sequence), records every Ack in arrival order.
import { type ClientDuplexStream, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import {
  type Ack,
  type ConnectRequest,
  type ConnectResponse,
  PluginServiceClient,
} from "../../../src/gen/trainingcore/v1/plugin_service.js";

export interface StreamEnd {
  code: number;
  details: string;
}

export class RawStream {
  readonly acks: Ack[] = [];
  readonly ended: Promise<StreamEnd>;
  private readonly client: PluginServiceClient;
  private readonly call: ClientDuplexStream<ConnectRequest, ConnectResponse>;
  private waiter: (() => void) | undefined;

  constructor(address: string) {
    this.client = new PluginServiceClient(address, credentials.createInsecure());
    this.call = this.client.connect(new Metadata());
    this.ended = new Promise((resolve) => {
      this.call.on("status", (s: StreamEnd) => resolve({ code: s.code, details: s.details }));
      this.call.on("error", (e: ServiceError) => resolve({ code: e.code, details: e.details }));
    });
    this.call.on("data", (response: ConnectResponse) => {
      const message = response.message;
      if (message?.$case === "ack") this.acks.push(message.value);
      this.waiter?.();
    });
  }

  write(request: ConnectRequest): void {
    this.call.write(request);
  }

  /** Resolves once `count` acks arrived; rejects when the stream ends first or after 15 s. */
  async untilAcks(count: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    let ended: StreamEnd | undefined;
    void this.ended.then((end) => {
      ended = end;
      this.waiter?.();
    });
    while (this.acks.length < count) {
      if (ended)
        throw new Error(
          `stream ended (${ended.code} ${ended.details}) after ${this.acks.length}/${count} acks`,
        );
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${this.acks.length}/${count} acks within 15 s`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  /** Half-closes and waits for the status the core ends the stream with. */
  async finish(): Promise<StreamEnd> {
    this.call.end();
    const end = await this.ended;
    this.client.close();
    return end;
  }

  cancel(): void {
    this.call.cancel();
    this.client.close();
  }
}
