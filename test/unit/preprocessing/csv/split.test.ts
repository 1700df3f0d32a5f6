import { describe, expect, it } from "vitest";
import {
  CaseSplitter,
  detectCaseColumn,
} from "../../../../src/app/preprocessing/csv/case-split.js";
import { preprocessDataset } from "../../../../src/app/preprocessing/csv/index.js";
import { chunked, rowsOf, run } from "./helpers.js";

/** An event log with `cases` cases of 1..4 events each, interleaved. */
function eventLog(cases: number, caseColumn = "case_id"): string {
  const lines = [`time,${caseColumn},activity`];
  let t = 0;
  for (let round = 0; round < 4; round++) {
    for (let c = 0; c < cases; c++) {
      if (round <= c % 4) lines.push(`${t++},case-${c},step ${round}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

describe("case split", () => {
  it("keeps every case on one side, with floor(n * fraction) holdout cases", async () => {
    const { summary, training, holdout } = await run(eventLog(101), { holdoutFraction: 0.3 });
    expect(summary.cases).toBe(101);
    const trainingCases = new Set(
      rowsOf(training)
        .slice(1)
        .map((row) => row[1]),
    );
    const holdoutCases = new Set(
      rowsOf(holdout)
        .slice(1)
        .map((row) => row[1]),
    );
    expect(holdoutCases.size).toBe(Math.floor(101 * 0.3));
    expect(trainingCases.size + holdoutCases.size).toBe(101);
    for (const id of holdoutCases) expect(trainingCases.has(id)).toBe(false);
    expect(trainingCases.has("case-0")).toBe(true); // the first case is always training
    expect(summary.trainingRows + summary.holdoutRows).toBe(summary.rows);
  });

  it("assigns cases in order of first appearance", () => {
    const splitter = new CaseSplitter(0.5);
    const sides = ["a", "b", "a", "c", "d", "b", "e"].map((id) => splitter.isHoldout(id));
    expect(sides).toEqual([false, true, false, false, true, true, false]);
    expect(splitter.cases).toBe(5);
    for (const fraction of [0, 0.1, 0.2, 0.25, 1 / 3, 0.5, 0.9, 0.99]) {
      const s = new CaseSplitter(fraction);
      let holdout = 0;
      for (let n = 1; n <= 500; n++) {
        if (s.isHoldout(`c${n}`)) holdout++;
        expect(holdout).toBe(Math.floor(n * fraction));
      }
    }
  });

  it("is deterministic: same input and fraction, byte-identical outputs", async () => {
    const input = eventLog(500);
    const first = await run(input, { holdoutFraction: 0.2 });
    const second = await run(input, { holdoutFraction: 0.2 }, 113);
    expect(second.summary).toEqual(first.summary);
    expect(
      Buffer.concat(second.trainingSink.chunks).equals(Buffer.concat(first.trainingSink.chunks)),
    ).toBe(true);
    expect(second.holdout).toBe(first.holdout);
  });

  it("puts everything in training with holdoutFraction 0", async () => {
    const input = eventLog(50);
    const { summary, training, holdout } = await run(input, { holdoutFraction: 0 });
    expect(summary).toMatchObject({ holdoutRows: 0, cases: 50 });
    expect(summary.trainingRows).toBe(summary.rows);
    expect(training).toBe(input);
    expect(holdout).toBe("time,case_id,activity\n");
  });

  it("uses an explicitly given case column", async () => {
    const input = "a,b\n1,x\n1,y\n2,x\n3,x\n";
    const { summary, holdout } = await run(input, { caseIdColumn: "a", holdoutFraction: 0.5 });
    expect(summary).toMatchObject({ caseIdColumn: "a", cases: 3, holdoutRows: 1 });
    expect(holdout).toBe("a,b\n2,x\n");
    const byB = await run(input, { caseIdColumn: " b ", holdoutFraction: 0.5 });
    expect(byB.summary).toMatchObject({ caseIdColumn: "b", cases: 2, holdoutRows: 1 });
  });

  it("treats every row as its own case without a case column", async () => {
    const input = "time,activity\n1,a\n2,a\n3,b\n4,c\n";
    const { summary, holdout } = await run(input, { holdoutFraction: 0.5 });
    expect(summary).toMatchObject({ caseIdColumn: "", cases: 4, rows: 4, holdoutRows: 2 });
    expect(holdout).toBe("time,activity\n2,a\n4,c\n");
  });
});

describe("case column auto-detection", () => {
  it("recognises the usual names, case-insensitively, first in header order", () => {
    expect(detectCaseColumn(["case:channel", "case:concept:name", "case"])).toBe(
      "case:concept:name",
    );
    expect(detectCaseColumn(["time", "Case_ID"])).toBe("Case_ID");
    expect(detectCaseColumn(["CaseId", "x"])).toBe("CaseId");
    expect(detectCaseColumn(["Case ID"])).toBe("Case ID");
    expect(detectCaseColumn(["activity", "CASE"])).toBe("CASE");
    expect(detectCaseColumn(["case number", "cases", "concept:name"])).toBeUndefined();
  });

  it("is used when caseIdColumn is empty or undefined", async () => {
    for (const caseIdColumn of ["", undefined]) {
      const { summary } = await run(eventLog(10, "Case ID"), { caseIdColumn });
      expect(summary).toMatchObject({ caseIdColumn: "Case ID", cases: 10 });
    }
  });
});

describe("streaming behaviour", () => {
  it("reports progress at a modest rate and once at the end", async () => {
    const input = eventLog(60_000); // 150k rows, about 3.4 MB
    const progress: { rows: number; bytes: number }[] = [];
    const { summary } = await run(input, { onProgress: (p) => progress.push(p) }, 65536);
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.length).toBeLessThan(10);
    expect(progress.at(-1)).toEqual({ rows: summary.rows, bytes: Buffer.byteLength(input) });
    for (let i = 1; i < progress.length; i++) {
      expect(progress[i]?.rows).toBeGreaterThanOrEqual(progress[i - 1]?.rows ?? 0);
    }
  });

  it("awaits each sink write before reading further (backpressure)", async () => {
    const input = Buffer.from(eventLog(100_000)); // about 5.6 MB
    let pulled = 0;
    let written = 0;
    let writing = false;
    let maxAhead = 0;
    const source = (async function* () {
      for await (const chunk of chunked(input, 16 * 1024)) {
        pulled += chunk.length;
        maxAhead = Math.max(maxAhead, pulled - written);
        yield chunk;
      }
    })();
    const slowSink = () => ({
      async write(chunk: Buffer) {
        expect(writing).toBe(false); // one write at a time
        writing = true;
        await new Promise((resolve) => setTimeout(resolve, 1));
        written += chunk.length;
        writing = false;
      },
    });
    const summary = await preprocessDataset(
      source,
      { holdoutFraction: 0.2 },
      { training: slowSink(), holdout: slowSink() },
    );
    expect(summary.rows).toBe(250_000);
    // Reading never runs far ahead of writing: at most the input chunk being processed plus
    // the output not yet sealed into a 256 KiB chunk, per side.
    expect(maxAhead).toBeLessThan(1024 * 1024);
  });
});
