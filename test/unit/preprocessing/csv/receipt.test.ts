import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { rowsOf, run } from "./helpers.js";

// CI copies shared/ beside the clone: /work/main (repo) and /work/shared (data).
const receiptUrl = new URL("../../../../../shared/data/receipt.csv", import.meta.url);
const receiptPath = fileURLToPath(receiptUrl);
const available = existsSync(receiptPath);
if (!available) {
  console.warn(`receipt.csv end-to-end tests skipped: ${receiptPath} does not exist`);
}

describe.skipIf(!available)("receipt.csv end to end", () => {
  const data = available ? readFileSync(receiptPath) : Buffer.alloc(0);
  const CASE = "case:concept:name";

  it("splits 8577 rows by case, 20% of the cases in holdout", async () => {
    const reference = parse(data, { columns: true }) as Record<string, string>[];
    const distinctCases = new Set(reference.map((row) => row[CASE]));

    const { summary, training, holdout, trainingSink, holdoutSink } = await run(data, {
      holdoutFraction: 0.2,
    });

    expect(summary.rows).toBe(8577);
    expect(summary.delimiter).toBe(",");
    expect(summary.caseIdColumn).toBe(CASE); // auto-detected
    expect(summary.columns).toHaveLength(15);
    expect(summary.columns).toEqual(Object.keys(reference[0] ?? {}));
    expect(summary.cases).toBe(distinctCases.size);
    expect(summary.trainingRows + summary.holdoutRows).toBe(summary.rows);

    const trainingRows = rowsOf(training);
    const holdoutRows = rowsOf(holdout);
    expect(trainingRows[0]).toEqual(summary.columns);
    expect(holdoutRows[0]).toEqual(summary.columns);
    expect(trainingRows.length - 1).toBe(summary.trainingRows);
    expect(holdoutRows.length - 1).toBe(summary.holdoutRows);

    const caseIndex = summary.columns.indexOf(CASE);
    const trainingCases = new Set(trainingRows.slice(1).map((row) => row[caseIndex]));
    const holdoutCases = new Set(holdoutRows.slice(1).map((row) => row[caseIndex]));
    for (const id of holdoutCases) expect(trainingCases.has(id)).toBe(false);
    expect(trainingCases.size + holdoutCases.size).toBe(distinctCases.size);
    expect(holdoutCases.size).toBe(Math.floor(distinctCases.size * 0.2));
    expect(holdoutCases.size / distinctCases.size).toBeCloseTo(0.2, 2);

    // Every input row appears exactly once, in input order on each side.
    const inputRows = reference.map((row) => summary.columns.map((c) => row[c] ?? ""));
    const bySide = inputRows.filter((row) => !holdoutCases.has(row[caseIndex]));
    expect(trainingRows.slice(1)).toEqual(bySide);
    expect(holdoutRows.slice(1)).toEqual(
      inputRows.filter((row) => holdoutCases.has(row[caseIndex])),
    );

    // Output chunks of about 256 KiB (only the last one of each file is shorter).
    for (const chunks of [trainingSink.chunks, holdoutSink.chunks]) {
      for (const chunk of chunks.slice(0, -1)) {
        expect(chunk.length).toBeGreaterThanOrEqual(256 * 1024);
        expect(chunk.length).toBeLessThan(320 * 1024);
      }
    }
    expect(training.endsWith("\n")).toBe(true);
    expect(training.includes("\r")).toBe(false);
  });

  it("gives byte-identical output for any source chunking", async () => {
    const whole = await run(data, { holdoutFraction: 0.2 });
    const pieces = await run(data, { holdoutFraction: 0.2 }, 997);
    expect(pieces.summary).toEqual(whole.summary);
    expect(pieces.training).toBe(whole.training);
    expect(pieces.holdout).toBe(whole.holdout);
  });
});
