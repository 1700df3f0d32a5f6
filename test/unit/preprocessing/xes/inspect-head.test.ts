import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DatasetError } from "../../../../src/app/preprocessing/csv/errors.js";
import { detectFormat } from "../../../../src/app/preprocessing/event-log/dataset-format.js";
import { inspectXesHead } from "../../../../src/app/preprocessing/xes/index.js";
import { log, read } from "./helpers.js";

const traceOf = (id: string, events: string[], attributes = "") =>
  `<trace>\n<string key="concept:name" value="${id}"/>\n${attributes}${events
    .map((name) => `<event><string key="concept:name" value="${name}"/></event>\n`)
    .join("")}</trace>\n`;

const smallLog = log(
  '<global scope="event"><date key="time:timestamp" value="1970-01-01T00:00:00Z"/></global>\n' +
    traceOf("c1", ["a", "b"]) +
    traceOf("c2", ["a", "ü"], '<int key="priority" value="2"/>\n') +
    traceOf("c3", ["a", "b", "c"], '<string key="region" value="north"/>\n'),
);

describe("detectFormat", () => {
  it("says xes when the first character after a BOM and whitespace is <, else csv", () => {
    expect(detectFormat(Buffer.from('<?xml version="1.0"?><log/>'))).toBe("xes");
    expect(detectFormat(Buffer.from("<log>"))).toBe("xes");
    expect(detectFormat(Buffer.from("\uFEFF \r\n\t <log>"))).toBe("xes");
    expect(detectFormat(Buffer.from("case,activity,timestamp\n1,a,2020-01-01"))).toBe("csv");
    expect(detectFormat(Buffer.from("\uFEFFcase;<activity>"))).toBe("csv");
    expect(detectFormat(Buffer.alloc(0))).toBe("csv");
    expect(detectFormat(Buffer.from("   \n"))).toBe("csv");
  });

  it("looks inside gzip, even from a head cut in the middle of the stream", () => {
    const xesGzip = gzipSync(Buffer.from(smallLog.repeat(200)));
    expect(detectFormat(xesGzip)).toBe("xes+gzip");
    expect(detectFormat(xesGzip.subarray(0, 512))).toBe("xes+gzip");
    expect(detectFormat(gzipSync(Buffer.from("\uFEFF\n<log/>")))).toBe("xes+gzip");
    expect(detectFormat(gzipSync(Buffer.from("case,activity\n1,a\n")))).toBe("csv+gzip");
    // Corrupt after the magic: the CSV path reports what is wrong with the whole file.
    expect(detectFormat(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xff, 0xff]))).toBe("csv+gzip");
  });
});

describe("inspectXesHead", () => {
  it("shows columns, typed hints and the first 5 events of a whole log", async () => {
    const head = await inspectXesHead(Buffer.from(smallLog));
    expect(head.format).toBe("xes");
    expect(head.columns).toEqual([
      "case:concept:name",
      "case:priority",
      "case:region",
      "time:timestamp",
      "concept:name",
    ]);
    expect(head.typedHints).toEqual(
      new Map([
        ["case:priority", "NUMBER"],
        ["time:timestamp", "DATETIME"],
      ]),
    );
    expect(head.sampleRows).toEqual([
      ["c1", "", "", "", "a"],
      ["c1", "", "", "", "b"],
      ["c2", "2", "", "", "a"],
      ["c2", "2", "", "", "ü"],
      ["c3", "", "north", "", "a"],
    ]);
  });

  it("uses only what was complete when the head is cut anywhere, even inside a character", async () => {
    const bytes = Buffer.from(smallLog);
    const whole = (await read(smallLog)).sink;
    const traceEnds = [...smallLog.matchAll(/<\/trace>/g)].map(
      (m) => Buffer.byteLength(smallLog.slice(0, m.index)) + "</trace>".length,
    );
    for (let cut = 0; cut <= bytes.length; cut++) {
      const head = await inspectXesHead(bytes.subarray(0, cut));
      const complete = traceEnds.filter((end) => end <= cut).length;
      const expectedRows = whole.rows.slice(0, [0, 2, 4, 7][complete]).slice(0, 5);
      // Columns of complete traces only, in the order the whole log has them.
      expect(whole.columns.filter((name) => head.columns.includes(name))).toEqual(head.columns);
      expect(head.sampleRows).toEqual(
        expectedRows.map((row) => head.columns.map((name) => row[whole.columns.indexOf(name)])),
      );
      if (complete === 0) expect(head.columns).not.toContain("case:concept:name");
    }
  });

  it("reads the start of a gzip stream cut short, up to its byte limit", async () => {
    const big = log(
      Array.from({ length: 5000 }, (_, i) => traceOf(`case ${i}`, ["a", "b", "c"])).join(""),
    );
    const gzip = gzipSync(Buffer.from(big));
    const head = await inspectXesHead(gzip.subarray(0, Math.floor(gzip.length / 2)), 64 * 1024);
    expect(head.format).toBe("xes+gzip");
    expect(head.columns).toEqual(["case:concept:name", "concept:name"]);
    expect(head.sampleRows).toEqual([
      ["case 0", "a"],
      ["case 0", "b"],
      ["case 0", "c"],
      ["case 1", "a"],
      ["case 1", "b"],
    ]);
  });

  it("refuses gzip that cannot be decompressed, and a root other than <log>", async () => {
    const corrupt = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    await expect(inspectXesHead(corrupt)).rejects.toThrow(
      /line 1: the file starts like gzip but cannot be decompressed/,
    );
    await expect(inspectXesHead(Buffer.from("<html><body>"))).rejects.toBeInstanceOf(DatasetError);
  });
});
