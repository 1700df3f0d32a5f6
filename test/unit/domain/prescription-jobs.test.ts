import { describe, expect, it } from "vitest";
import {
  isFinalJobStatus,
  isFinishedRequest,
  jobStatuses,
  missingPrescriptionDetail,
  noPluginServesError,
  notServingDetail,
  requestStatuses,
} from "../../../src/domain/prescription-jobs.js";

describe("prescription jobs", () => {
  it("ends only DONE or ERROR", () => {
    expect(jobStatuses.filter(isFinalJobStatus)).toEqual(["DONE", "ERROR"]);
  });

  it("counts DONE, ERROR and TIMED_OUT requests as finished", () => {
    expect(requestStatuses.filter(isFinishedRequest)).toEqual(["DONE", "ERROR", "TIMED_OUT"]);
  });

  it.each([
    ["WAITING", "", undefined],
    ["RUNNING", "", undefined],
    ["NOT_SERVING", "x", undefined],
    ["DONE", "", "no prescription from this plugin for this case"],
    ["DONE", "a note", "no prescription from this plugin for this case"],
    ["ERROR", "out of memory", "out of memory"],
    ["ERROR", "", "the plugin failed"],
    ["TIMED_OUT", "", "timed out after 600000 ms"],
    ["TIMED_OUT", "deadline passed after 5 ms", "deadline passed after 5 ms"],
  ] as const)("a %s request (detail %j) without a row: %j", (status, detail, expected) => {
    expect(missingPrescriptionDetail({ status, detail }, 600_000)).toBe(expected);
  });

  it("says why a plugin does not serve, and that none does", () => {
    expect(notServingDetail("knn")).toBe(
      'plugin "knn" does not answer prescription requests (its OnlineReport does not set prescribes)',
    );
    expect(noPluginServesError(["a", "b"])).toBe(
      "no plugin serves: none of the TRAINED plugins (a, b) answers prescription requests",
    );
    expect(noPluginServesError([])).toBe("no plugin serves: the project has no TRAINED plugin");
  });
});
