/** The temporary grouping file: runs come back in (case ordinal, file order) order; cleanup. */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CaseGroupingFile,
  type GroupedRun,
} from "../../../src/store/scratch/case-grouping-file.js";

let parent: string;
beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), "grouping-file-test-"));
});
afterEach(async () => {
  await rm(parent, { recursive: true, force: true });
});

describe("CaseGroupingFile", () => {
  it("gives runs back by case ordinal, then file order, however they were written", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.record({
            caseOrdinal: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
            fileOrder: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
            payload: fc.string(),
          }),
          { selector: (run) => `${run.caseOrdinal}/${run.fileOrder}`, maxLength: 40 },
        ),
        fc.integer({ min: 1, max: 5 }),
        async (runs, batches) => {
          const file = await CaseGroupingFile.create(parent);
          try {
            const size = Math.ceil(runs.length / batches);
            for (let at = 0; at < runs.length; at += size) file.write(runs.slice(at, at + size));
            const expected = [...runs].sort(
              (a, b) => a.caseOrdinal - b.caseOrdinal || a.fileOrder - b.fileOrder,
            );
            expect([...file.runsByCase()]).toEqual(expected);
          } finally {
            file.close();
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("lives in a directory of its own under the given one, deleted on close", async () => {
    const file = await CaseGroupingFile.create(parent);
    const [dir] = await readdir(parent);
    expect(dir).toMatch(/^training-core-grouping-/);
    file.write([{ caseOrdinal: 0, fileOrder: 0, payload: "x" }]);
    file.close();
    file.close(); // a second close changes nothing
    expect(existsSync(join(parent, dir as string))).toBe(false);
  });

  it("refuses keys beyond its range, naming what to do", async () => {
    const file = await CaseGroupingFile.create(parent);
    try {
      const tooMany: GroupedRun = { caseOrdinal: 0, fileOrder: 2 ** 32, payload: "" };
      expect(() => file.write([tooMany])).toThrow(/cannot be grouped by case; split the log/);
    } finally {
      file.close();
    }
  });
});
