/**
 * What the core logs about an answered plugin report: refusals and project status changes at
 * info; a report stored without changing its project only at debug, since at thousands of
 * reports a second a line each would cost more than storing them.
 */
import type { ReportResult } from "../../app/reports/plugin-reports.js";
import type { ReportInput } from "../../app/reports/report-checks.js";

export interface LogLine {
  readonly level: "debug" | "info";
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

export function reportLogLine(
  input: ReportInput,
  result: ReportResult,
  debugEnabled: boolean,
): LogLine | undefined {
  const ids = { projectId: input.projectId, pluginId: input.pluginId };
  if (result.code !== "OK") {
    const fields = { ...ids, code: result.code, reason: result.message };
    return { level: "info", fields, message: "report refused" };
  }
  if (result.projectStatus) {
    const fields = { ...ids, status: result.projectStatus };
    return { level: "info", fields, message: "project status changed" };
  }
  if (!result.changed || !debugEnabled) return undefined;
  return {
    level: "debug",
    fields: { ...ids, report: input.report.kind },
    message: "report stored",
  };
}
