import { describe, expect, it } from "vitest";
import { deadlineFor, deadlineMissedReason } from "../../../src/domain/deadlines.js";
import { pluginStatuses } from "../../../src/domain/statuses.js";

const timeouts = { dataReportMs: 10, trainingStartMs: 20, trainingMs: 30 };

describe("deadlines", () => {
  it("gives every unfinished status its own deadline and finished ones none", () => {
    const deadlines = Object.fromEntries(
      pluginStatuses.map((s) => [s, deadlineFor(s, timeouts, 1000)]),
    );
    expect(deadlines).toEqual({
      WAITING: 1010,
      PREPROCESSING: 1020,
      TRAINING: 1030,
      TRAINED: null,
      NOT_APPLICABLE: null,
      ERROR: null,
    });
  });

  it("names the missing report and the setting", () => {
    expect(deadlineMissedReason("WAITING", timeouts)).toBe(
      "deadline passed: no DataReport within 10 ms (CORE_DATA_REPORT_TIMEOUT_MS)",
    );
    expect(deadlineMissedReason("PREPROCESSING", timeouts)).toContain(
      "no TrainingStart within 20 ms",
    );
    expect(deadlineMissedReason("TRAINING", timeouts)).toContain("(CORE_TRAINING_TIMEOUT_MS)");
  });
});
