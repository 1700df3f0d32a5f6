/**
 * One `PluginService.Connect` stream: numbers the requests 1, 2, 3, ..., writes them in order
 * with backpressure (while the stream's buffer is full, requests wait for `drain`), routes every
 * Ack to the callback of its request, hands TrainingData, PrescriptionRequest and OnlineInquiry
 * messages on, and reports how the stream ended.
 */
import { type ClientDuplexStream, type ServiceError, status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import {
  type Ack,
  type ConnectRequest,
  type ConnectResponse,
  type PluginServiceClient,
  PluginServiceService,
  type PrescriptionRequest,
  type TrainingData,
} from "../gen/trainingcore/v1/plugin_service.js";
import { decodeConnectResponse } from "./connect-response-decoding.js";

export type Report = NonNullable<ConnectRequest["message"]>;
export type AckCallback = (ack: Ack) => void;

export interface StreamEnd {
  readonly code: number;
  readonly details: string;
}

export interface LinkEvents {
  onTrainingData(data: TrainingData): void;
  onPrescriptionRequest(request: PrescriptionRequest): void;
  onOnlineInquiry(): void;
}

export class Link {
  /** Resolves with the stream's final status (or the error that ended it). */
  readonly ended: Promise<StreamEnd>;
  private readonly call: ClientDuplexStream<ConnectRequest, ConnectResponse>;
  private readonly awaitingAck = new Map<number, AckCallback>();
  private readonly closedSignal = new AbortController();
  private nextSequence = 1;
  /** Requests waiting for the stream's buffer to drain, in order. */
  private readonly waiting: ConnectRequest[] = [];
  private blocked = false;

  constructor(
    client: PluginServiceClient,
    private readonly events: LinkEvents,
    private readonly logger: Logger,
  ) {
    const { path, requestSerialize } = PluginServiceService.connect;
    // `client.connect()` with a faster decoder for live PrescriptionRequests.
    this.call = client.makeBidiStreamRequest(path, requestSerialize, decodeConnectResponse);
    this.ended = new Promise((resolve) => {
      const finish = (end: StreamEnd) => {
        if (this.closedSignal.signal.aborted) return;
        this.closedSignal.abort();
        this.awaitingAck.clear();
        resolve(end);
      };
      this.call.on("status", (s: { code: number; details: string }) =>
        finish({ code: s.code, details: s.details }),
      );
      this.call.on("error", (error: Partial<ServiceError>) =>
        finish({ code: error.code ?? status.UNKNOWN, details: error.details ?? String(error) }),
      );
    });
    this.call.on("data", (response: ConnectResponse) => this.receive(response));
    this.call.on("drain", () => this.drained());
  }

  get isOpen(): boolean {
    return !this.closedSignal.signal.aborted;
  }

  /**
   * Numbers `message` and queues it behind the earlier writes; `onAck` gets its Ack. Returns the
   * sequence. On a closed stream nothing is written and no Ack will come.
   */
  send(message: Report, onAck: AckCallback): number {
    const sequence = this.nextSequence++;
    if (!this.isOpen) return sequence;
    this.awaitingAck.set(sequence, onAck);
    const request = { sequence, message };
    if (this.blocked) this.waiting.push(request);
    else this.blocked = !this.call.write(request);
    return sequence;
  }

  /** Half-closes: tells the core that no more requests follow; it ends the stream after its acks. */
  halfClose(): void {
    if (this.isOpen) this.call.end();
  }

  cancel(): void {
    if (this.isOpen) this.call.cancel();
  }

  /** The buffer drained: writes the waiting requests until it is full again. */
  private drained(): void {
    this.blocked = false;
    let written = 0;
    while (!this.blocked && written < this.waiting.length && this.isOpen) {
      this.blocked = !this.call.write(this.waiting[written++] as ConnectRequest);
    }
    this.waiting.splice(0, written);
  }

  private receive(response: ConnectResponse): void {
    const message = response.message;
    switch (message?.$case) {
      case "ack": {
        const callback = this.awaitingAck.get(message.value.sequence);
        if (!callback) {
          this.logger.warn({ sequence: message.value.sequence }, "ack for an unknown sequence");
          return;
        }
        this.awaitingAck.delete(message.value.sequence);
        callback(message.value);
        return;
      }
      case "trainingData":
        this.events.onTrainingData(message.value);
        return;
      case "prescriptionRequest":
        this.events.onPrescriptionRequest(message.value);
        return;
      case "onlineInquiry":
        this.events.onOnlineInquiry();
        return;
      default:
        this.logger.debug("ignoring an unknown message from the core");
    }
  }
}
