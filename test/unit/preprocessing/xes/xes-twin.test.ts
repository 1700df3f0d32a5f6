import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { syntheticEventLog } from "../../../helpers/datasets.js";
import { syntheticXesLog, xesTwinOf } from "../../../helpers/xes.js";
import { read, sharedDataFile } from "./helpers.js";

/** The CSV's rows grouped by case (cases in order of their first row), as XES holds them. */
function groupedByCase(csvText: string, caseColumn: string): string[][] {
  const [header = [], ...rows] = parse(csvText) as string[][];
  const caseIndex = header.indexOf(caseColumn);
  const cases = new Map<string, string[][]>();
  for (const row of rows) {
    const id = row[caseIndex] ?? "";
    cases.set(id, [...(cases.get(id) ?? []), row]);
  }
  return [...cases.values()].flat();
}

describe("xesTwinOf: an XES log with the content of a CSV", () => {
  const csv =
    "case:concept:name,case:channel,concept:name,time:timestamp,org:resource,note\n" +
    'c1,web,register,2020-01-01T10:00:00Z,Ann,"a, ""quoted"" note"\n' +
    "c2,,register,2020-01-01T11:00:00Z,,\n" +
    "c1,web,check,2020-01-02T09:30:00+02:00,Bob,multi\u00adbyte ✓\n" +
    'c2,,decide,2020-01-03 12:00:00,Cy,"two\nlines & <tags>"\n';

  it("reads back as the CSV's rows, grouped by case, in the CSV's column order", async () => {
    const { sink } = await read(xesTwinOf(csv, "case:concept:name"));
    const [header] = parse(csv) as string[][];
    expect(sink.columns).toEqual(header);
    expect(sink.rows).toEqual(groupedByCase(csv, "case:concept:name"));
    expect(sink.typedHints).toEqual(new Map());
  });

  it("writes the types it is given, which the reader turns into hints", async () => {
    const { sink } = await read(
      xesTwinOf(csv, "case:concept:name", { types: { "time:timestamp": "date" } }),
    );
    expect(sink.typedHints).toEqual(new Map([["time:timestamp", "DATETIME"]]));
  });

  it("names the case column case:concept:name when the CSV calls it otherwise", async () => {
    const renamed = csv.replace("case:concept:name", "case_id");
    const { sink } = await read(xesTwinOf(renamed, "case_id"));
    expect(sink.columns[0]).toBe("case:concept:name");
    expect(sink.rows).toEqual(groupedByCase(renamed, "case_id"));
  });

  it("refuses a case: column whose value changes within a case", () => {
    const changing = csv.replace("c1,web,check", "c1,app,check");
    expect(() => xesTwinOf(changing, "case:concept:name")).toThrow(
      "case:channel changes within case c1",
    );
  });
});

describe("syntheticXesLog: the twin of syntheticEventLog", () => {
  it("holds the synthetic CSV's rows, header and order", async () => {
    const csv = [...syntheticEventLog(300_000, 3)].join("");
    const xes = [...syntheticXesLog(300_000, 3)].join("");
    const { sink } = await read(xes);
    const [header, ...rows] = parse(csv) as string[][];
    expect(sink.columns).toEqual(header);
    expect(sink.rows).toEqual(rows); // each synthetic case is contiguous already
    expect(sink.typedHints).toEqual(new Map([["time:timestamp", "DATETIME"]]));
  });
});

const receipt = sharedDataFile("receipt.csv");

describe.skipIf(!receipt)("the XES twin of receipt.csv", () => {
  it("reads back as receipt.csv's 8577 rows, grouped by case", async () => {
    const csv = (receipt ?? Buffer.alloc(0)).toString("utf8");
    const { sink } = await read(xesTwinOf(csv, "case:concept:name"), 1 << 20);
    const [header] = parse(csv, { to_line: 1 }) as string[][];
    expect(sink.columns).toEqual(header);
    expect(sink.rows).toHaveLength(8577);
    expect(sink.rows).toEqual(groupedByCase(csv, "case:concept:name"));
  });
});
