import { describe, expect, it } from "vitest";
import { rowsOf, run } from "./helpers.js";

const BOM = "\uFEFF";

describe("input formats", () => {
  it("handles quoted fields with embedded newlines, delimiters and quotes", async () => {
    const input =
      'case,activity,note\nc1,"Check, then approve","line 1\nline 2"\nc1,"say ""hi""",plain\nc2,x,"a\r\nb"\n';
    const { summary, training } = await run(input);
    expect(summary).toMatchObject({ rows: 3, cases: 2, caseIdColumn: "case", delimiter: "," });
    expect(rowsOf(training)).toEqual([
      ["case", "activity", "note"],
      ["c1", "Check, then approve", "line 1\nline 2"],
      ["c1", 'say "hi"', "plain"],
      ["c2", "x", "a\r\nb"],
    ]);
    expect(training).toBe(
      'case,activity,note\nc1,"Check, then approve","line 1\nline 2"\nc1,"say ""hi""",plain\nc2,x,"a\r\nb"\n',
    );
  });

  it("strips a UTF-8 BOM", async () => {
    const { summary, training } = await run(`${BOM}case_id,a\nx,1\n`);
    expect(summary.columns).toEqual(["case_id", "a"]);
    expect(summary.caseIdColumn).toBe("case_id");
    expect(training).toBe("case_id,a\nx,1\n");
  });

  it("reads semicolon-separated files and writes commas", async () => {
    const { summary, training } = await run('case;amount;note\nc1;1,5;"a;b"\nc2;2,0;x\n');
    expect(summary.delimiter).toBe(";");
    expect(summary.columns).toEqual(["case", "amount", "note"]);
    expect(rowsOf(training)).toEqual([
      ["case", "amount", "note"],
      ["c1", "1,5", "a;b"],
      ["c2", "2,0", "x"],
    ]);
    expect(training).toBe('case,amount,note\nc1,"1,5",a;b\nc2,"2,0",x\n');
  });

  it("reads tab-separated files", async () => {
    const { summary, training } = await run("case\tactivity, with comma\tb\nc1\tx, y\t2\n");
    expect(summary.delimiter).toBe("\t");
    expect(rowsOf(training)).toEqual([
      ["case", "activity, with comma", "b"],
      ["c1", "x, y", "2"],
    ]);
  });

  it("detects the delimiter outside quotes only", async () => {
    const { summary } = await run('"a;b;c;d",case,e\n1,c1,2\n');
    expect(summary.delimiter).toBe(",");
    expect(summary.columns).toEqual(["a;b;c;d", "case", "e"]);
  });

  it("defaults to comma for a single column", async () => {
    const { summary, training } = await run('value\nv1\n""\nv 2\n', { caseIdColumn: "" });
    expect(summary).toMatchObject({ delimiter: ",", rows: 3, cases: 3, caseIdColumn: "" });
    // A single column with an empty value is quoted so that it is not a blank line.
    expect(training).toBe('value\nv1\n""\nv 2\n');
    expect(rowsOf(training)).toEqual([["value"], ["v1"], [""], ["v 2"]]);
  });

  it("handles CRLF and mixed line endings, writing LF", async () => {
    const { summary, training } = await run("case,a\r\nc1,1\r\nc2,2\nc3,3\r\n");
    expect(summary.rows).toBe(3);
    expect(training).toBe("case,a\nc1,1\nc2,2\nc3,3\n");
  });

  it("skips blank lines and accepts a missing final newline", async () => {
    const { summary, training } = await run("case,a\n\nc1,1\n\r\n\nc2,2");
    expect(summary.rows).toBe(2);
    expect(training).toBe("case,a\nc1,1\nc2,2\n");
  });

  it("keeps multi-byte characters and quoted fields intact when fed one byte at a time", async () => {
    const input = `${BOM}case;städte;note\nc-ü1;"Zürich; 🚀 ""x""";"über\r\nzwei"\nc-€2;日本語;ok\n`;
    const whole = await run(input);
    const bytewise = await run(input, {}, 1);
    expect(bytewise.summary).toEqual(whole.summary);
    expect(bytewise.training).toBe(whole.training);
    expect(rowsOf(bytewise.training)).toEqual([
      ["case", "städte", "note"],
      ["c-ü1", 'Zürich; 🚀 "x"', "über\r\nzwei"],
      ["c-€2", "日本語", "ok"],
    ]);
  });

  it("trims header names", async () => {
    const { summary, training } = await run(" case , a \nc1,1\n");
    expect(summary.columns).toEqual(["case", "a"]);
    expect(summary.caseIdColumn).toBe("case");
    expect(training.startsWith("case,a\n")).toBe(true);
  });

  it("writes a header-only holdout file when no case is held out", async () => {
    const { summary, holdout } = await run("case,a\nc1,1\nc1,2\n", { holdoutFraction: 0.4 });
    expect(summary).toMatchObject({ cases: 1, trainingRows: 2, holdoutRows: 0 });
    expect(holdout).toBe("case,a\n");
  });

  it("handles inputs larger than the internal chunk sizes", async () => {
    const lines = ["id,activity,case"];
    for (let i = 0; i < 40_000; i++) lines.push(`${i},"act ${i % 7}, ok",c${Math.floor(i / 3)}`);
    const input = `${lines.join("\n")}\n`; // about 1 MB
    const whole = await run(input, { holdoutFraction: 0.25 });
    const pieces = await run(input, { holdoutFraction: 0.25 }, 4093);
    expect(whole.summary).toMatchObject({ rows: 40_000, cases: 13_334, caseIdColumn: "case" });
    expect(whole.summary.holdoutRows).toBeGreaterThan(0);
    expect(pieces.training).toBe(whole.training);
    expect(pieces.holdout).toBe(whole.holdout);
    const out = [...rowsOf(whole.training).slice(1), ...rowsOf(whole.holdout).slice(1)];
    expect(out.map((row) => Number(row[0])).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40_000 }, (_, i) => i),
    );
  });
});
