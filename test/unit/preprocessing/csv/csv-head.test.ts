// The head of a CSV file (header and first rows), as InspectDataset and CreateProject read it.
import { describe, expect, it } from "vitest";
import { inspectCsvHead } from "../../../../src/app/preprocessing/csv/csv-head.js";
import { DatasetError } from "../../../../src/app/preprocessing/csv/errors.js";

const head = (text: string | Uint8Array, complete = true) =>
  inspectCsvHead(typeof text === "string" ? Buffer.from(text) : text, complete);

function failure(text: string, complete = true): string {
  try {
    head(text, complete);
  } catch (error) {
    expect(error).toBeInstanceOf(DatasetError);
    return (error as Error).message;
  }
  throw new Error("the head was read");
}

describe("inspectCsvHead", () => {
  it("reads the header and the first five rows, cells as written", () => {
    const rows = Array.from({ length: 8 }, (_, i) => `c${i}, act ${i} ,2024-01-0${i + 1}`);
    expect(head(["case,activity,time", ...rows, ""].join("\n"))).toEqual({
      format: "csv",
      columns: ["case", "activity", "time"],
      typedHints: new Map(),
      sampleRows: rows.slice(0, 5).map((row) => row.split(",")),
    });
  });

  it("skips a BOM, trims header names, and reads quoted fields with delimiters and line breaks", () => {
    const text = '\ufeff"case id";"Activity;Name"; time \r\n"c;1";"a\r\nb";"say ""hi"""\r\n';
    expect(head(text)).toMatchObject({
      columns: ["case id", "Activity;Name", "time"],
      sampleRows: [["c;1", "a\r\nb", 'say "hi"']],
    });
  });

  it.each([
    ["tab", "case\tactivity\n1\ta\n", ["1", "a"]],
    ["comma, no final line end", "case,activity\n1,a", ["1", "a"]],
    ["blank lines", "\n\ncase,activity\n\n1,a\n\n", ["1", "a"]],
  ])("reads a file with %s", (_name, text, row) => {
    expect(head(text)).toMatchObject({ columns: ["case", "activity"], sampleRows: [row] });
  });

  it("leaves out a last record cut by the end of an incomplete head", () => {
    expect(head("case,activity\n1,a\n2,b", false).sampleRows).toEqual([["1", "a"]]);
    expect(head('case,activity\n1,a\n2,"b\nstill b', false).sampleRows).toEqual([["1", "a"]]);
    // A multi-byte character cut in half is not invalid UTF-8.
    const cut = Buffer.from("case,activity\n1,a\n2,é").subarray(0, -1);
    expect(head(cut, false).sampleRows).toEqual([["1", "a"]]);
  });

  it("reads a header without rows", () => {
    expect(head("case,activity\n")).toMatchObject({
      columns: ["case", "activity"],
      sampleRows: [],
    });
  });

  it.each([
    ["an empty file", "", "line 1: the file is empty (no header line)"],
    ["only a BOM and blank lines", "\ufeff\n\r\n", "line 1: the file is empty (no header line)"],
    ["an empty column name", "case,,time\n", "line 1: column 2 has an empty name"],
    ["a duplicate column name", "a,b,a\n", 'line 1: duplicate column name "a" (columns 1 and 3)'],
    ["a row of another width", "a,b\n1,2\n1,2,3\n", "line 3: expected 2 fields, found 3"],
    ["an unclosed quote", 'a,b\n1,"2\n', "line 2: quoted field is never closed"],
    ["a quote in an unquoted field", 'a,b\n1,x"y\n', "line 2: quote inside an unquoted field"],
  ])("refuses %s with the line", (_name, text, message) => {
    expect(failure(text)).toContain(message);
  });

  it("refuses invalid UTF-8 with its line", () => {
    const bytes = Buffer.concat([
      Buffer.from("a,b\n1,2\n3,"),
      Buffer.from([0xff]),
      Buffer.from("\n"),
    ]);
    expect(() => head(bytes)).toThrow(/^line 3: invalid UTF-8 byte sequence \(byte 0xff/);
  });

  it("refuses a header line longer than the head", () => {
    expect(failure(`a,${"b".repeat(100)}`, false)).toMatch(
      /^line 1: the header line is longer than/,
    );
  });
});
