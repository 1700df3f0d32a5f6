import { describe, expect, it } from "vitest";
import {
  applyPluginReport,
  type PluginReport,
  type PluginState,
} from "../../../src/domain/plugin-transitions.js";
import { type PluginStatus, pluginStatuses } from "../../../src/domain/statuses.js";

/** The reports, with the variants that matter: the stored model name / error is "m" / "e". */
const reports = {
  applicable: { kind: "data", applicable: true },
  notApplicable: { kind: "data", applicable: false },
  trainingStart: { kind: "training-start" },
  sameModel: { kind: "model-name", modelName: "m" },
  otherModel: { kind: "model-name", modelName: "other" },
  sameError: { kind: "error", detail: "e" },
  otherError: { kind: "error", detail: "other" },
} as const satisfies Record<string, PluginReport>;
type ReportName = keyof typeof reports;

/** Expected outcome: the next status, "dup" (accepted, no change) or "rej" (rejected). */
type Expected = PluginStatus | "dup" | "rej";

// One row per status, one column per report: the whole state machine at a glance.
const table: Record<PluginStatus, Record<ReportName, Expected>> = {
  // prettier-ignore
  WAITING: {
    applicable: "PREPROCESSING",
    notApplicable: "NOT_APPLICABLE",
    trainingStart: "rej",
    sameModel: "rej",
    otherModel: "rej",
    sameError: "ERROR",
    otherError: "ERROR",
  },
  PREPROCESSING: {
    applicable: "dup",
    notApplicable: "rej",
    trainingStart: "TRAINING",
    sameModel: "rej",
    otherModel: "rej",
    sameError: "ERROR",
    otherError: "ERROR",
  },
  TRAINING: {
    applicable: "dup",
    notApplicable: "rej",
    trainingStart: "dup",
    sameModel: "TRAINED",
    otherModel: "TRAINED",
    sameError: "ERROR",
    otherError: "ERROR",
  },
  TRAINED: {
    applicable: "dup",
    notApplicable: "rej",
    trainingStart: "dup",
    sameModel: "dup",
    otherModel: "rej",
    sameError: "rej",
    otherError: "rej",
  },
  NOT_APPLICABLE: {
    applicable: "rej",
    notApplicable: "dup",
    trainingStart: "rej",
    sameModel: "rej",
    otherModel: "rej",
    sameError: "rej",
    otherError: "rej",
  },
  ERROR: {
    applicable: "rej",
    notApplicable: "rej",
    trainingStart: "rej",
    sameModel: "rej",
    otherModel: "rej",
    sameError: "dup",
    otherError: "rej",
  },
};

function stateIn(status: PluginStatus): PluginState {
  return {
    status,
    modelName: status === "TRAINED" ? "m" : "",
    error: status === "ERROR" ? "e" : "",
  };
}

describe("applyPluginReport", () => {
  it("has a row for every status and a column for every report", () => {
    expect(Object.keys(table).sort()).toEqual([...pluginStatuses].sort());
  });

  for (const status of pluginStatuses) {
    for (const [name, report] of Object.entries(reports) as [ReportName, PluginReport][]) {
      const expected = table[status][name];
      it(`${status} + ${name} → ${expected}`, () => {
        const result = applyPluginReport(stateIn(status), report);
        if (expected === "dup") {
          expect(result).toEqual({ outcome: "duplicate" });
        } else if (expected === "rej") {
          expect(result.outcome).toBe("rejected");
          if (result.outcome === "rejected") expect(result.reason).toContain(status);
        } else {
          expect(result.outcome).toBe("changed");
          if (result.outcome === "changed") expect(result.next.status).toBe(expected);
        }
      });
    }
  }

  it("stores the model name on TRAINED and the detail on ERROR", () => {
    expect(applyPluginReport(stateIn("TRAINING"), reports.otherModel)).toEqual({
      outcome: "changed",
      next: { status: "TRAINED", modelName: "other", error: "" },
    });
    expect(applyPluginReport(stateIn("WAITING"), reports.otherError)).toEqual({
      outcome: "changed",
      next: { status: "ERROR", modelName: "", error: "other" },
    });
  });

  it("says what to do next when a step is skipped", () => {
    const outcome = applyPluginReport(stateIn("WAITING"), reports.trainingStart);
    expect(outcome).toEqual({
      outcome: "rejected",
      reason: "plugin is WAITING; send a DataReport with applicable=true first",
    });
  });

  it("never leaves a final status", () => {
    for (const status of ["TRAINED", "NOT_APPLICABLE", "ERROR"] as const) {
      for (const report of Object.values(reports)) {
        expect(applyPluginReport(stateIn(status), report).outcome).not.toBe("changed");
      }
    }
  });
});
