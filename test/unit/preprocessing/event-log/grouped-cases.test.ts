/**
 * Grouping on disk with a tiny run budget, so that cases are stored as many runs: the cases come
 * back whole and in order, also with cells holding NUL (stored as JSON) and missing times.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CaseSplitter } from "../../../../src/app/preprocessing/csv/case-split.js";
import type { CaseEvent } from "../../../../src/app/preprocessing/event-log/case-events.js";
import { GroupedCases } from "../../../../src/app/preprocessing/event-log/grouped-cases.js";
import type { TrainingSetWriter } from "../../../../src/app/preprocessing/event-log/training-set-writer.js";
import { CaseGroupingFile } from "../../../../src/store/scratch/case-grouping-file.js";

/** Stands in for the writer: records the cases it is given. */
class CaseRecorder {
  readonly cases: { events: CaseEvent[]; holdout: boolean }[] = [];
  writeCase(events: CaseEvent[], holdout: boolean): void {
    this.cases.push({ events: [...events], holdout });
  }
  async flush(): Promise<void> {}
}

let file: CaseGroupingFile | undefined;
afterEach(() => file?.close());

describe("GroupedCases", () => {
  it("gives every case back whole, in first-seen order, its events in file order", async () => {
    file = await CaseGroupingFile.create();
    const recorder = new CaseRecorder();
    const splitter = new CaseSplitter(0.5);
    const cases = new GroupedCases(
      splitter,
      recorder as unknown as TrainingSetWriter,
      file,
      3,
      10, // a run per few events
    );
    const events: [string, CaseEvent][] = [];
    for (let line = 2; line < 60; line++) {
      const caseId = `c${(line * 7) % 5}`;
      const note = line % 9 === 0 ? `nul\0${line}` : line % 4 === 0 ? "" : `n${line}`;
      const time = line % 6 === 0 ? null : 1_600_000_000_000 + line;
      events.push([caseId, { cells: [caseId, "a", note], time, line }]);
    }
    for (const [caseId, event] of events) cases.add(caseId, event);
    await cases.end();

    const firstSeen = [...new Set(events.map(([caseId]) => caseId))];
    expect(recorder.cases.map((c) => c.events[0]?.cells[0])).toEqual(firstSeen);
    for (const [index, written] of recorder.cases.entries()) {
      const caseId = firstSeen[index] as string;
      expect(written.events).toEqual(events.filter(([id]) => id === caseId).map(([, e]) => e));
      expect(written.holdout).toBe(splitter.isHoldoutAt(index));
    }
  });
});
