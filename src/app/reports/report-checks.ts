/** A plugin report as the core receives it, and the checks of its fields before it is stored. */
import { AppError, type ErrorCode } from "../../domain/errors.js";
import type { PluginReport } from "../../domain/plugin-transitions.js";
import { hasNul } from "../../domain/text-checks.js";

export interface ReportInput {
  readonly projectId: number;
  readonly pluginId: number;
  readonly report: PluginReport;
}

const maxModelNameLength = 1024;
const maxDetailLength = 16 * 1024;

/** Refuses (INVALID_ARGUMENT) a report whose fields are malformed, naming the first one. */
export function checkReport(input: ReportInput): void {
  if (!Number.isSafeInteger(input.projectId) || input.projectId <= 0) {
    throw invalid("project_id is required (a positive id from TrainingData)");
  }
  if (!Number.isSafeInteger(input.pluginId) || input.pluginId <= 0) {
    throw invalid("plugin_id is required (a positive id from TrainingData)");
  }
  const { report } = input;
  if (report.kind === "model-name") {
    if (report.modelName.trim() === "") throw invalid("model_name must not be empty");
    if (report.modelName.length > maxModelNameLength) {
      throw invalid(`model_name is longer than ${maxModelNameLength} characters`);
    }
  }
  if (report.kind === "error") {
    if (report.detail.trim() === "") throw invalid("detail must say what went wrong");
    if (report.detail.length > maxDetailLength) {
      throw invalid(`detail is longer than ${maxDetailLength} characters`);
    }
  }
  const text =
    report.kind === "model-name" ? report.modelName : report.kind === "error" ? report.detail : "";
  if (hasNul(text)) throw invalid("text must not contain the NUL character (U+0000)");
}

function invalid(message: string): AppError {
  return new AppError("INVALID_ARGUMENT", message);
}

/** A refused report as the result its ack carries. */
export interface ReportRefusal {
  readonly code: ErrorCode;
  readonly message: string;
}

/**
 * checkReport's refusal as a result, for callers that answer each report of a batch on its
 * own; undefined for a well-formed report (which pays for no exception).
 */
export function refusalOf(input: ReportInput): ReportRefusal | undefined {
  try {
    checkReport(input);
    return undefined;
  } catch (error) {
    if (error instanceof AppError) return { code: error.code, message: error.message };
    throw error;
  }
}
