/**
 * normalizeEventLog's passes: a stream pass, abandoned for a grouped one when cases interleave;
 * the sinks of every pass either returned or discarded; the grouping file always deleted.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DatasetError } from "../../../../src/app/preprocessing/csv/errors.js";
import { CasesInterleaved } from "../../../../src/app/preprocessing/event-log/case-routing.js";
import {
  type NormalizeOptions,
  normalizeEventLog,
} from "../../../../src/app/preprocessing/event-log/normalize-event-log.js";
import { EventLogNormalizer } from "../../../../src/app/preprocessing/event-log/normalizer.js";
import { readCsvEventLog } from "../../../../src/app/preprocessing/event-log/read-csv.js";
import type { OutputSinks } from "../../../../src/app/preprocessing/event-log/training-set-writer.js";
import { chunked, MemorySink } from "../csv/helpers.js";
import { definitionOf } from "./helpers.js";

const interleaved =
  "case,activity,timestamp\na,x,2020-01-01T00:00:00Z\nb,y,2020-01-01T00:00:00Z\na,z,2020-01-01T00:00:00Z\n";

let tempDir: string;
beforeEach(async () => {
  tempDir = await mkdtemp(join(tmpdir(), "normalize-passes-"));
});
afterEach(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

/** Options reading `csv`, recording which sinks were opened and discarded. */
function recorded(csv: string, overrides: Partial<NormalizeOptions> = {}) {
  const opened: OutputSinks[] = [];
  const discarded: OutputSinks[] = [];
  const options: NormalizeOptions = {
    read: async (sink) => {
      await readCsvEventLog(chunked(Buffer.from(csv), 16), sink);
    },
    definition: definitionOf(),
    holdoutFraction: 0,
    tempDir,
    outputs: {
      open: async () => {
        const sinks = { training: new MemorySink(), holdout: new MemorySink() };
        opened.push(sinks);
        return sinks;
      },
      discard: async (sinks) => {
        discarded.push(sinks);
      },
    },
    ...overrides,
  };
  return { options, opened, discarded };
}

describe("normalizeEventLog", () => {
  it("discards the stream pass when cases interleave and returns the grouped pass's sinks", async () => {
    const reasons: CasesInterleaved[] = [];
    const filesDuringPasses: string[][] = [];
    const { options, opened, discarded } = recorded(interleaved, {
      onGrouping: (reason) => reasons.push(reason),
    });
    const result = await normalizeEventLog({
      ...options,
      read: async (sink) => {
        filesDuringPasses.push(await readdir(tempDir));
        await options.read(sink);
      },
    });
    expect(filesDuringPasses[0]).toEqual([]);
    expect(filesDuringPasses[1]).toEqual([expect.stringMatching(/^training-core-grouping-/)]);
    expect(opened).toHaveLength(2);
    expect(discarded).toEqual([opened[0]]);
    expect(result.sinks).toBe(opened[1]);
    expect(result.summary.grouped).toBe(true);
    expect(reasons.map((r) => [r.caseId, r.line, r.message])).toEqual([
      ["a", 4, 'line 4: case "a" comes back after other cases'],
    ]);
    expect(await readdir(tempDir)).toEqual([]);
  });

  it("discards the sinks of a failing pass, deletes the grouping file and throws", async () => {
    const bad = `${interleaved}b,w,soon\n`;
    for (const grouping of ["when-interleaved", "always"] as const) {
      const { options, opened, discarded } = recorded(bad, { grouping });
      const error = await normalizeEventLog(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatasetError);
      expect((error as DatasetError).message).toBe(
        'line 5: column timestamp: cannot read "soon" as a timestamp',
      );
      expect(discarded).toEqual(opened);
      expect(await readdir(tempDir)).toEqual([]);
    }
  });

  it("keeps the pass's error when discarding its sinks fails too", async () => {
    const { options } = recorded("case,activity,timestamp\na,x,never\n");
    const error = await normalizeEventLog({
      ...options,
      outputs: { ...options.outputs, discard: () => Promise.reject(new Error("store down")) },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
  });

  it("cannot go on to a grouped pass when the stream pass's sinks cannot be discarded", async () => {
    const { options } = recorded(interleaved);
    const storeDown = new Error("store down");
    const error = await normalizeEventLog({
      ...options,
      outputs: { ...options.outputs, discard: () => Promise.reject(storeDown) },
    }).catch((e: unknown) => e);
    expect(error).toBe(storeDown);
  });

  it("refuses a holdout fraction outside [0, 1)", async () => {
    const { options } = recorded(interleaved, { holdoutFraction: 1 });
    await expect(normalizeEventLog(options)).rejects.toThrow(
      "holdoutFraction must be in [0, 1), got 1",
    );
  });
});

describe("EventLogNormalizer in stream mode", () => {
  it("throws CasesInterleaved at the first row of a case that comes back", async () => {
    const sinks = { training: new MemorySink(), holdout: new MemorySink() };
    const normalizer = new EventLogNormalizer({
      definition: definitionOf(),
      holdoutFraction: 0,
      sinks,
      grouping: "stream",
    });
    normalizer.header(["case", "activity", "timestamp"], new Map());
    normalizer.row(["a", "x", "2020-01-01T00:00:00Z"], 2);
    normalizer.row(["a", "y", "2020-01-01T00:00:00Z"], 3);
    normalizer.row(["b", "x", "2020-01-01T00:00:00Z"], 4);
    expect(() => normalizer.row(["a", "z", "2020-01-01T00:00:00Z"], 7)).toThrow(
      new CasesInterleaved("a", 7),
    );
  });
});
