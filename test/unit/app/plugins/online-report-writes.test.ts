import { describe, expect, it } from "vitest";
import { OnlineReportWrites } from "../../../../src/app/plugins/online-report-writes.js";
import type { GroupCommitter } from "../../../../src/app/reports/group-commit.js";

/** Counts the writes handed to the committer; each resolves or fails as the test says. */
function countingCommitter(outcome: () => Promise<void> = () => Promise.resolve()) {
  const counter = { writes: 0 };
  const committer = {
    run: () => {
      counter.writes++;
      return outcome();
    },
  } as unknown as GroupCommitter;
  return { committer, counter };
}

const identity = (name = "KNN") => ({
  key: "knn",
  name,
  type: "t",
  description: "",
  parameters: {},
});

describe("OnlineReportWrites", () => {
  it("shares one write between repeats of the same identity within the window", async () => {
    const { committer, counter } = countingCommitter();
    const writes = new OnlineReportWrites(committer, 60_000);
    await Promise.all([
      writes.record(identity()),
      writes.record(identity()),
      writes.record(identity()),
    ]);
    expect(counter.writes).toBe(1);
  });

  it("writes again for a changed identity, or once the window passed", async () => {
    const { committer, counter } = countingCommitter();
    const changed = new OnlineReportWrites(committer, 60_000);
    await changed.record(identity("KNN"));
    await changed.record(identity("KNN v2"));
    expect(counter.writes).toBe(2);
    const noWindow = new OnlineReportWrites(committer, 0);
    await noWindow.record(identity());
    await noWindow.record(identity());
    expect(counter.writes).toBe(4);
  });

  it("does not share a failed write with later reports", async () => {
    let fail = true;
    const { committer, counter } = countingCommitter(() =>
      fail ? Promise.reject(new Error("database down")) : Promise.resolve(),
    );
    const writes = new OnlineReportWrites(committer, 60_000);
    await expect(writes.record(identity())).rejects.toThrow("database down");
    fail = false;
    await writes.record(identity());
    expect(counter.writes).toBe(2);
  });
});
