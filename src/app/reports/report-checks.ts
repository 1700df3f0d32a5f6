/** A plugin report as the core receives it, and the checks of its fields before it is stored. */
import type { PluginReport } from "../../domain/plugin-transitions.js";
import { hasNul } from "../../domain/text-checks.js";

export interface ReportInput {
  readonly projectId: number;
  readonly pluginId: number;
  readonly report: PluginReport;
}

const maxModelNameLength = 1024;
const maxDetailLength = 16 * 1024;

/** Checks the fields of a report; returns the problem, or undefined when it is well formed. */
export function checkReport(input: ReportInput): string | undefined {
  if (!Number.isSafeInteger(input.projectId) || input.projectId <= 0) {
    return "project_id is required (a positive id from TrainingData)";
  }
  if (!Number.isSafeInteger(input.pluginId) || input.pluginId <= 0) {
    return "plugin_id is required (a positive id from TrainingData)";
  }
  const { report } = input;
  if (report.kind === "model-name") {
    if (report.modelName.trim() === "") return "model_name must not be empty";
    if (report.modelName.length > maxModelNameLength) {
      return `model_name is longer than ${maxModelNameLength} characters`;
    }
  }
  if (report.kind === "error") {
    if (report.detail.trim() === "") return "detail must say what went wrong";
    if (report.detail.length > maxDetailLength) {
      return `detail is longer than ${maxDetailLength} characters`;
    }
  }
  const text =
    report.kind === "model-name" ? report.modelName : report.kind === "error" ? report.detail : "";
  if (hasNul(text)) return "text must not contain the NUL character (U+0000)";
  return undefined;
}
