import { describe, expect, it } from "vitest";
import { DatasetError, preprocessDataset } from "../../../../src/app/preprocessing/csv/index.js";
import { MemorySink, run, runFailing } from "./helpers.js";

const header15 = Array.from({ length: 15 }, (_, i) => `col${i + 1}`).join(",");
const row15 = (caseId: string) =>
  ["Internet", caseId, ...Array.from({ length: 13 }, (_, i) => `v${i}`)].join(",");

describe("invalid UTF-8", () => {
  it("reports the line of the invalid byte", async () => {
    const input = Buffer.concat([
      Buffer.from("case,a\nc1,1\nc2,ab"),
      Buffer.from([0xff]),
      Buffer.from("\n"),
    ]);
    const error = await runFailing(input);
    expect(error.line).toBe(3);
    expect(error.message).toMatch(
      /^line 3: invalid UTF-8 byte sequence \(byte 0xff at offset 17\)/,
    );
    expect(error.excerpt).toBe("c2,ab");
    expect((await runFailing(input, {}, 1)).line).toBe(3);
  });

  it("counts lines across chunks and inside quoted fields", async () => {
    const filler = "c1,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n".repeat(3000); // > 64 KiB
    const input = Buffer.concat([
      Buffer.from(`case,a\r\n${filler}c2,"multi\r\nline`),
      Buffer.from([0xc3, 0x28]), // invalid continuation byte
      Buffer.from('"\r\n'),
    ]);
    for (const chunkSize of [1 << 20, 1000, 7]) {
      const error = await runFailing(input, {}, chunkSize);
      expect(error.line).toBe(3003);
      expect(error.message).toContain("byte 0xc3");
    }
  });

  it("rejects truncated, overlong and surrogate sequences", async () => {
    for (const bad of [
      [0xe2, 0x82],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
    ]) {
      const input = Buffer.concat([Buffer.from("case,a\nc1,"), Buffer.from(bad)]);
      const error = await runFailing(input, {}, 1);
      expect(error.line).toBe(2);
      expect(error.message).toMatch(/invalid UTF-8/);
    }
  });

  it("reports an earlier problem in the same chunk first", async () => {
    const input = Buffer.concat([Buffer.from("case,a\nc1\nc2,"), Buffer.from([0xff])]);
    const error = await runFailing(input);
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/expected 2 fields, found 1/);
  });
});

describe("row and header validation", () => {
  it("reports a ragged row with its line and an excerpt", async () => {
    const ragged = row15("case-1").split(",").slice(0, 14).join(",");
    const lines = [header15, ...["case-1", "case-1", "case-2", "case-3", "case-3"].map(row15)];
    const input = `${[...lines, ragged, row15("case-4")].join("\n")}\n`;
    const error = await runFailing(input);
    expect(error.line).toBe(7);
    expect(error.excerpt).toBe("Internet,case-1,v0,v1,v2,v3,v4,v5,v6,v7,…");
    expect(error.message).toBe(
      'line 7: expected 15 fields, found 14 (excerpt: "Internet,case-1,v0,v1,v2,v3,v4,v5,v6,v7,…")',
    );
  });

  it("checks the last row even without a final newline", async () => {
    const error = await runFailing("case,a\nc1,1\nc2");
    expect(error.line).toBe(3);
    expect(error.message).toBe('line 3: expected 2 fields, found 1 (excerpt: "c2")');
  });

  it("counts physical lines through quoted newlines, CRLF and blank lines", async () => {
    const lf = 'case,a\nc1,"x\ny\nz"\n\n\nc2,1,extra\n';
    expect((await runFailing(lf)).line).toBe(7);
    const crlf = 'case,a\r\nc1,"x\r\ny"\r\n\r\nc2\r\n';
    expect((await runFailing(crlf)).line).toBe(5);
    expect((await runFailing(crlf, {}, 1)).line).toBe(5);
  });

  it("rejects a duplicate column name", async () => {
    const error = await runFailing("a,case,b, a\n1,c1,2,3\n");
    expect(error.line).toBe(1);
    expect(error.message).toMatch(/^line 1: duplicate column name "a" \(columns 1 and 4\)/);
  });

  it("rejects an empty column name", async () => {
    const error = await runFailing("a,case, ,b\n1,c1,2,3\n");
    expect(error.line).toBe(1);
    expect(error.message).toMatch(/^line 1: column 3 has an empty name/);
  });

  it("rejects an empty case id", async () => {
    const error = await runFailing("case_id,a\nc1,1\nc1,2\n,3\n", {});
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/^line 4: empty case id in column "case_id"/);
    const blank = await runFailing("x,a\n  1 ,1\n   ,2\n", { caseIdColumn: "x" });
    expect(blank.line).toBe(3);
  });

  it("rejects an unknown case column, listing the columns", async () => {
    const error = await runFailing("a,b,c\n1,2,3\n", { caseIdColumn: "case" });
    expect(error.line).toBe(1);
    expect(error.message).toBe(
      'line 1: case id column "case" not found; available columns: "a", "b", "c"',
    );
  });

  it("rejects a header without data rows", async () => {
    for (const input of ["case,a\n", "case,a", "case,a\n\n\r\n"]) {
      const error = await runFailing(input);
      expect(error.message).toBe("line 1: the file has a header but no data rows");
    }
  });

  it("rejects an empty file", async () => {
    for (const input of ["", "\uFEFF", "\n\n"]) {
      const error = await runFailing(input);
      expect(error.line).toBe(1);
      expect(error.message).toBe("line 1: the file is empty (no header line)");
    }
  });
});

describe("quoting errors from csv-parse", () => {
  it("reports an unclosed quote at the line where its record starts", async () => {
    const error = await runFailing('case,a\nc1,1\nc2,"oops\nc3,3\nc4,4\n');
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^line 3: quoted field is never closed/);
  });

  it("reports text after a closing quote", async () => {
    const error = await runFailing('case,a\r\nc1,"a\r\nb"\r\nc2,"x"y\r\n');
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/^line 4: a closing quote must be followed by a delimiter/);
  });

  it("reports a quote inside an unquoted field", async () => {
    const error = await runFailing('case,a\nc1,1\nc2,x"y"\n');
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^line 3: quote inside an unquoted field/);
  });
});

describe("options and the source", () => {
  it("rejects a holdout fraction outside [0, 1)", async () => {
    for (const holdoutFraction of [-0.1, 1, Number.NaN]) {
      await expect(run("case,a\nc1,1\n", { holdoutFraction })).rejects.toThrow(RangeError);
    }
  });

  it("passes source errors through and closes the source on a dataset error", async () => {
    const failing = (async function* () {
      yield Buffer.from("case,a\nc1,1\n");
      throw new Error("connection lost");
    })();
    const sinks = { training: new MemorySink(), holdout: new MemorySink() };
    await expect(preprocessDataset(failing, { holdoutFraction: 0 }, sinks)).rejects.toThrow(
      "connection lost",
    );

    let closed = false;
    const endless = (async function* () {
      try {
        yield Buffer.from("case,a\nc1,1,2\n");
        for (;;) yield Buffer.alloc(70_000, 0x61);
      } finally {
        closed = true;
      }
    })();
    await expect(preprocessDataset(endless, { holdoutFraction: 0 }, sinks)).rejects.toThrow(
      DatasetError,
    );
    expect(closed).toBe(true);
  });

  it("passes sink errors through", async () => {
    const broken = {
      write: async () => {
        throw new Error("disk full");
      },
    };
    const sinks = { training: broken, holdout: new MemorySink() };
    const source = (async function* () {
      yield Buffer.from("case,a\nc1,1\n");
    })();
    await expect(preprocessDataset(source, { holdoutFraction: 0 }, sinks)).rejects.toThrow(
      "disk full",
    );
  });
});
