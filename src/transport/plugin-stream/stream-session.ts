import type { CoreMetrics } from "../../app/metrics/core-metrics.js";
import type {
  PluginSession,
  PrescriptionRequestMessage,
  TrainingDataMessage,
} from "../../app/plugins/plugin-sessions.js";
import type { ConnectResponse } from "../../gen/trainingcore/v1/plugin_service.js";
import type { StreamWriter } from "../stream-writer.js";
import type { InquiryPacer } from "./inquiry-pacer.js";
import { toProtoPrescriptionRequest, toProtoTrainingData } from "./plugin-messages.js";

export interface StreamSessionParts {
  readonly id: number;
  /** The plugin key the stream registered. */
  readonly key: string;
  readonly writer: StreamWriter<ConnectResponse>;
  readonly inquiries: InquiryPacer;
  readonly metrics: CoreMetrics;
}

/** A registered stream as the dispatcher and the inquirer see it (methods, not closures). */
export class StreamSession implements PluginSession {
  readonly id: number;
  readonly key: string;
  lastAnswerMs = Date.now();
  private readonly writer: StreamWriter<ConnectResponse>;
  private readonly inquiries: InquiryPacer;
  private readonly metrics: CoreMetrics;

  constructor(parts: StreamSessionParts) {
    this.id = parts.id;
    this.key = parts.key;
    this.writer = parts.writer;
    this.inquiries = parts.inquiries;
    this.metrics = parts.metrics;
  }

  sendTrainingData(data: TrainingDataMessage): Promise<void> {
    this.metrics.messageSent("training_data");
    return this.writer.write({
      message: { $case: "trainingData", value: toProtoTrainingData(data) },
    });
  }

  sendPrescriptionRequest(request: PrescriptionRequestMessage): Promise<void> {
    this.metrics.messageSent("prescription_request");
    return this.writer.write({
      message: { $case: "prescriptionRequest", value: toProtoPrescriptionRequest(request) },
    });
  }

  /** An inquiry is waiting in the pacer: rounds piling up send this stream one, not several. */
  private inquiryQueued = false;

  sendOnlineInquiry(): void {
    if (this.inquiryQueued) return;
    this.inquiryQueued = true;
    this.inquiries.send(() => this.writeInquiry());
  }

  private writeInquiry(): void {
    this.inquiryQueued = false;
    if (!this.writer.isOpen) return;
    this.metrics.messageSent("online_inquiry");
    this.writer.write({ message: { $case: "onlineInquiry", value: {} } }).catch(() => {});
  }
}
