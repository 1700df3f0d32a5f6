import { describe, expect, it } from "vitest";
import { deriveJobStatus, jobStatuses } from "../../../../src/domain/prescriptions/job-status.js";
import {
  type RequestStatus,
  requestStatuses,
} from "../../../../src/domain/prescriptions/request-transitions.js";

const finished: RequestStatus[] = ["DONE", "ERROR", "TIMED_OUT", "NOT_SERVING"];

describe("deriveJobStatus", () => {
  it("a RUNNING job is DONE once every request finished, whichever way", () => {
    for (const a of requestStatuses) {
      for (const b of requestStatuses) {
        const expected = finished.includes(a) && finished.includes(b) ? "DONE" : "RUNNING";
        expect(deriveJobStatus("RUNNING", [a, b]), `${a}, ${b}`).toBe(expected);
      }
    }
  });

  it("a RUNNING job without serving requests is DONE", () => {
    expect(deriveJobStatus("RUNNING", [])).toBe("DONE");
    expect(deriveJobStatus("RUNNING", ["NOT_SERVING"])).toBe("DONE");
  });

  it("any other job keeps its status", () => {
    for (const status of jobStatuses.filter((s) => s !== "RUNNING")) {
      expect(deriveJobStatus(status, ["DONE"])).toBe(status);
      expect(deriveJobStatus(status, ["RUNNING"])).toBe(status);
    }
  });
});
