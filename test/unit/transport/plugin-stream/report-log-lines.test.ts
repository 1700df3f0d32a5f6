import { describe, expect, it } from "vitest";
import { reportLogLine } from "../../../../src/transport/plugin-stream/report-log-lines.js";

const input = { projectId: 3, pluginId: 7, report: { kind: "training-start" } } as const;

describe("reportLogLine", () => {
  it("logs a refusal at info with its code and reason", () => {
    const line = reportLogLine(input, { code: "NOT_FOUND", message: "no such" }, false);
    expect(line).toEqual({
      level: "info",
      fields: { projectId: 3, pluginId: 7, code: "NOT_FOUND", reason: "no such" },
      message: "report refused",
    });
  });

  it("logs a project status change at info", () => {
    const result = { code: "OK", changed: true, projectStatus: "TRAINING" } as const;
    expect(reportLogLine(input, result, false)).toEqual({
      level: "info",
      fields: { projectId: 3, pluginId: 7, status: "TRAINING" },
      message: "project status changed",
    });
  });

  it("logs other stored reports only at debug, and repeats not at all", () => {
    const stored = { code: "OK", changed: true } as const;
    expect(reportLogLine(input, stored, false)).toBeUndefined();
    expect(reportLogLine(input, stored, true)).toEqual({
      level: "debug",
      fields: { projectId: 3, pluginId: 7, report: "training-start" },
      message: "report stored",
    });
    expect(reportLogLine(input, { code: "OK", changed: false }, true)).toBeUndefined();
  });
});
