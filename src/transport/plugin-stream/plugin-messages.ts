/** Mapping between the plugin stream's protobuf messages and the use cases' inputs. */
import { status as grpcStatus } from "@grpc/grpc-js";
import type { PluginIdentity } from "../../app/plugins/online-report-checks.js";
import type {
  PrescriptionRequestMessage,
  TrainingDataMessage,
} from "../../app/plugins/plugin-sessions.js";
import type { PrescriptionAnswer } from "../../app/prescriptions/request-answers.js";
import type { ReportInput } from "../../app/reports/report-checks.js";
import type {
  ConnectRequest,
  ConnectResponse,
  OnlineReport,
  PrescriptionRequest,
  TrainingData,
} from "../../gen/trainingcore/v1/plugin_service.js";
import { fromProtoColumnDefinition, toProtoDefinition } from "../event-log-definitions.js";
import type { GrpcStatus } from "../grpc-errors.js";

export function identityOf(report: OnlineReport): PluginIdentity {
  return {
    key: report.id,
    name: report.name,
    type: report.type,
    description: report.description,
    parameters: report.parameters ?? {},
    neededColumns: report.neededColumns.map(fromProtoColumnDefinition),
    prescribes: report.prescribes,
  };
}

export function toProtoTrainingData(data: TrainingDataMessage): TrainingData {
  return {
    projectId: data.projectId,
    pluginId: data.pluginId,
    trainingDfName: data.trainingDfName,
    additionalInfo: data.additionalInfo,
    parameters: data.parameters,
    definition: data.definition && toProtoDefinition(data.definition),
  };
}

export function toProtoPrescriptionRequest(
  request: PrescriptionRequestMessage,
): PrescriptionRequest {
  return {
    requestId: request.requestId,
    projectId: request.projectId,
    pluginId: request.pluginId,
    modelName: request.modelName,
    input:
      request.input.kind === "dataset"
        ? { $case: "datasetName", value: request.input.datasetName }
        : {
            $case: "casePrefix",
            value: { caseId: request.input.caseId, events: [...request.input.events] },
          },
    parameters: request.parameters,
    additionalInfo: request.additionalInfo,
    definition: request.definition && toProtoDefinition(request.definition),
  };
}

/** A PrescriptionResult or PrescriptionError as the use case's input; undefined for others. */
export function prescriptionAnswerOf(request: ConnectRequest): PrescriptionAnswer | undefined {
  const message = request.message;
  switch (message?.$case) {
    case "prescriptionResult":
      return {
        kind: "part",
        requestId: message.value.requestId,
        prescriptions: message.value.prescriptions.map((p) => ({
          caseId: p.caseId,
          prescription: p.prescription && {
            type: p.prescription.type,
            output: p.prescription.output,
            detail: p.prescription.detail,
            model: p.prescription.model,
          },
        })),
        last: message.value.last,
      };
    case "prescriptionError":
      return {
        kind: "error",
        requestId: message.value.requestId,
        detail: message.value.detail,
      };
    default:
      return undefined;
  }
}

/** The ack of request `sequence`: OK, or the status it was refused with. */
export function ackOf(sequence: number, refusal?: GrpcStatus): ConnectResponse {
  const code = refusal?.code ?? grpcStatus.OK;
  const message = refusal?.details ?? "";
  return { message: { $case: "ack", value: { sequence, code, message } } };
}

export function reportInputOf(request: ConnectRequest): ReportInput | undefined {
  const message = request.message;
  switch (message?.$case) {
    case "dataReport":
      return {
        ...ids(message.value),
        report: { kind: "data", applicable: message.value.applicable },
      };
    case "trainingStart":
      return { ...ids(message.value), report: { kind: "training-start" } };
    case "modelName":
      return {
        ...ids(message.value),
        report: { kind: "model-name", modelName: message.value.modelName },
      };
    case "errorReport":
      return { ...ids(message.value), report: { kind: "error", detail: message.value.detail } };
    default:
      return undefined;
  }
}

/** The metric label of a request's message: its oneof case in snake_case. */
const requestKinds: Record<string, string> = {
  onlineReport: "online_report",
  dataReport: "data_report",
  trainingStart: "training_start",
  modelName: "model_name",
  errorReport: "error_report",
  prescriptionResult: "prescription_result",
  prescriptionError: "prescription_error",
};

export function kindOf(request: ConnectRequest): string {
  const kase = request.message?.$case;
  return kase === undefined ? "empty" : (requestKinds[kase] ?? "other");
}

function ids(value: { projectId: number; pluginId: number }) {
  return { projectId: value.projectId, pluginId: value.pluginId };
}
