import { describe, expect, it } from "vitest";
import { deriveProjectStatus, type PluginMembership } from "../../../src/domain/project-status.js";
import { type PluginStatus, pluginStatuses } from "../../../src/domain/statuses.js";

const plugin = (status: PluginStatus, key = "k", error = ""): PluginMembership => ({
  key,
  status,
  error,
});

/** Reference rule written independently of the implementation, by ranking statuses. */
function expectedStatus(statuses: PluginStatus[]): string {
  const remaining = statuses.filter((s) => s !== "NOT_APPLICABLE" && s !== "ERROR");
  if (remaining.length === 0) return "ERROR";
  const rank = { WAITING: 0, PREPROCESSING: 1, TRAINING: 2, TRAINED: 3 } as const;
  const lowest = Math.min(...remaining.map((s) => rank[s as keyof typeof rank]));
  return lowest === 3 ? "TRAINED" : lowest === 2 ? "TRAINING" : "PREPROCESSING";
}

describe("deriveProjectStatus", () => {
  it("matches the reference rule for every combination of up to three plugins", () => {
    let combinations = 0;
    for (const a of pluginStatuses) {
      expect(deriveProjectStatus([plugin(a)]).status).toBe(expectedStatus([a]));
      for (const b of pluginStatuses) {
        expect(deriveProjectStatus([plugin(a), plugin(b)]).status).toBe(expectedStatus([a, b]));
        for (const c of pluginStatuses) {
          const derived = deriveProjectStatus([plugin(a), plugin(b), plugin(c)]);
          expect(derived.status).toBe(expectedStatus([a, b, c]));
          expect(derived.error === "").toBe(derived.status !== "ERROR");
          combinations++;
        }
      }
    }
    expect(combinations).toBe(216);
  });

  it("needs every remaining plugin at least TRAINING for TRAINING", () => {
    expect(deriveProjectStatus([plugin("TRAINING"), plugin("PREPROCESSING")]).status).toBe(
      "PREPROCESSING",
    );
    expect(deriveProjectStatus([plugin("TRAINING"), plugin("TRAINED")]).status).toBe("TRAINING");
  });

  it("ignores plugins that declined or failed", () => {
    expect(
      deriveProjectStatus([plugin("TRAINED"), plugin("NOT_APPLICABLE"), plugin("ERROR")]),
    ).toEqual({ status: "TRAINED", error: "" });
  });

  it("explains an ERROR", () => {
    expect(deriveProjectStatus([plugin("NOT_APPLICABLE"), plugin("NOT_APPLICABLE")])).toEqual({
      status: "ERROR",
      error: "no plugin is applicable",
    });
    expect(
      deriveProjectStatus([
        plugin("ERROR", "knn", "out of memory"),
        plugin("NOT_APPLICABLE", "lstm"),
        plugin("ERROR", "rf", ""),
      ]),
    ).toEqual({
      status: "ERROR",
      error: "every plugin failed: knn: out of memory; rf: no detail given",
    });
    expect(deriveProjectStatus([])).toEqual({
      status: "ERROR",
      error: "no plugin was assigned to the project",
    });
  });
});
