import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { datasetBytes } from "../../../../src/app/preprocessing/dataset-source.js";
import { inspectXesHead, readXes } from "../../../../src/app/preprocessing/xes/index.js";
import { parseTimestamp } from "../../../../src/domain/event-log/index.js";
import { chunked, RecordingSink, read, sharedDataFile } from "./helpers.js";

const runningExample = sharedDataFile("running-example.xes");
const roadTraffic = sharedDataFile("roadtraffic100traces.xes");
const intervalLog = sharedDataFile("interval_event_log.xes");

/** Every value of the DATETIME-hinted columns reads as a timestamp. */
function expectDatesParse(sink: RecordingSink): void {
  for (const [column, hint] of sink.typedHints) {
    if (hint !== "DATETIME") continue;
    const index = sink.columns.indexOf(column);
    for (const row of sink.rows) expect(parseTimestamp(row[index] ?? "").ok).toBe(true);
  }
}

const eventElements = (xml: Buffer) => xml.toString().match(/<event>/g)?.length ?? 0;

describe.skipIf(!runningExample)("running-example.xes (globals, extensions, classifiers)", () => {
  const xml = runningExample ?? Buffer.alloc(0);

  it("reads its 42 events of 6 cases, with the trace's creator as a case attribute", async () => {
    const { sink } = await read(xml, 4096);
    expect(sink.columns).toEqual([
      "case:concept:name",
      "case:creator",
      "concept:name",
      "org:resource",
      "time:timestamp",
      "Activity",
      "Resource",
      "Costs",
    ]);
    expect(sink.typedHints).toEqual(new Map([["time:timestamp", "DATETIME"]]));
    expect(sink.rows).toHaveLength(42);
    expect(eventElements(xml)).toBe(42);
    expect(new Set(sink.rows.map((row) => row[0])).size).toBe(6);
    expect(sink.rows[0]).toEqual([
      "3",
      "Fluxicon Nitro",
      "register request",
      "Pete",
      "2010-12-30T14:32:00.000+01:00",
      "register request",
      "Pete",
      "50",
    ]);
    expectDatesParse(sink);
  });

  it("reads the same rows gzip-compressed, through the dataset source", async () => {
    const plain = await read(xml);
    const gzip = gzipSync(xml);
    const sink = new RecordingSink();
    await readXes(() => datasetBytes(chunked(gzip, 1000), () => {}), sink);
    expect(sink.rows).toEqual(plain.sink.rows);
    expect(sink.columns).toEqual(plain.sink.columns);
  });

  it("shows its head: all columns, hints and the first 5 events, plain and gzip", async () => {
    const { sink } = await read(xml);
    const head = await inspectXesHead(xml);
    expect(head).toEqual({
      format: "xes",
      columns: sink.columns,
      typedHints: sink.typedHints,
      sampleRows: sink.rows.slice(0, 5),
    });
    expect(await inspectXesHead(gzipSync(xml))).toEqual({ ...head, format: "xes+gzip" });
  });
});

describe.skipIf(!roadTraffic)("roadtraffic100traces.xes (typed numbers, meta attributes)", () => {
  const xml = roadTraffic ?? Buffer.alloc(0);

  it("reads its 390 events of 100 cases with their typed hints", async () => {
    const { sink } = await read(xml, 65_536);
    expect(sink.columns).toEqual([
      "case:concept:name",
      "amount",
      "org:resource",
      "dismissal",
      "concept:name",
      "vehicleClass",
      "totalPaymentAmount",
      "lifecycle:transition",
      "time:timestamp",
      "article",
      "points",
      "expense",
      "paymentAmount",
      "notificationType",
      "lastSent",
    ]);
    expect(sink.typedHints).toEqual(
      new Map([
        ["amount", "NUMBER"],
        ["totalPaymentAmount", "NUMBER"],
        ["time:timestamp", "DATETIME"],
        ["article", "NUMBER"],
        ["points", "NUMBER"],
        ["expense", "NUMBER"],
        ["paymentAmount", "NUMBER"],
      ]),
    );
    expect(sink.rows).toHaveLength(390);
    expect(eventElements(xml)).toBe(390);
    expect(new Set(sink.rows.map((row) => row[0])).size).toBe(100);
    const records = sink.records();
    expect(records[0]).toEqual({
      "case:concept:name": "N77802",
      amount: "35.0",
      "org:resource": "537",
      dismissal: "NIL",
      "concept:name": "Create Fine",
      vehicleClass: "A",
      totalPaymentAmount: "0.0",
      "lifecycle:transition": "complete",
      "time:timestamp": "2005-03-23T00:00:00.000+01:00",
      article: "157",
      points: "0",
    });
    expect(records[1]).toEqual({
      "case:concept:name": "N77802",
      "concept:name": "Send Fine",
      "lifecycle:transition": "complete",
      expense: "11.0",
      "time:timestamp": "2005-07-22T00:00:00.000+02:00",
    });
    expectDatesParse(sink);
  });
});

describe.skipIf(!intervalLog)(
  "interval_event_log.xes (start_timestamp beside time:timestamp)",
  () => {
    const xml = intervalLog ?? Buffer.alloc(0);

    it("reads its 8109 events of 1266 cases", async () => {
      const { sink } = await read(xml, 1 << 20);
      expect(sink.columns).toEqual([
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        "start_timestamp",
      ]);
      expect(sink.typedHints).toEqual(
        new Map([
          ["time:timestamp", "DATETIME"],
          ["start_timestamp", "DATETIME"],
        ]),
      );
      expect(sink.rows).toHaveLength(8109);
      expect(new Set(sink.rows.map((row) => row[0])).size).toBe(1266);
      expect(sink.rows[0]).toEqual([
        "C1",
        "place order",
        "2015-01-05T09:02:50.000+00:00",
        "2015-01-05T09:00:07.000+00:00",
      ]);
      expect(sink.rows.at(-1)?.[0]).toBe("C1266");
      expectDatesParse(sink);
    });

    it("shows a head of its first MiB (of 1.9 MB), cut inside a trace", async () => {
      const head = await inspectXesHead(xml);
      expect(head.columns).toEqual([
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        "start_timestamp",
      ]);
      expect(head.sampleRows).toHaveLength(5);
      expect(head.sampleRows[0]?.[0]).toBe("C1");
    });
  },
);
