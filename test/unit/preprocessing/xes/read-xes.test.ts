import { describe, expect, it } from "vitest";
import { DatasetError } from "../../../../src/app/preprocessing/csv/errors.js";
import { DatasetChangedError, readXes } from "../../../../src/app/preprocessing/xes/index.js";
import { chunked, log, RecordingSink, read } from "./helpers.js";

const trace = (id: string, events: string, attributes = "") =>
  `<trace>\n<string key="concept:name" value="${id}"/>\n${attributes}${events}</trace>\n`;

describe("readXes: columns and rows", () => {
  it("makes a row of every event: the trace's attributes as case: columns, then the event's", async () => {
    const { sink, summary } = await read(
      log(
        trace(
          "c1",
          '<event>\n<string key="concept:name" value="a"/>\n<date key="time:timestamp" value="2020-01-01T10:00:00.000+02:00"/>\n</event>\n' +
            '<event>\n<string key="concept:name" value="b"/>\n</event>\n',
          '<string key="channel" value="web"/>\n',
        ) +
          trace(
            "c2",
            '<event>\n<string key="concept:name" value="a"/>\n<string key="org:resource" value="Ann"/>\n</event>\n',
          ),
      ),
    );
    expect(sink.columns).toEqual([
      "case:concept:name",
      "case:channel",
      "concept:name",
      "time:timestamp",
      "org:resource",
    ]);
    expect(sink.rows).toEqual([
      ["c1", "web", "a", "2020-01-01T10:00:00.000+02:00", ""],
      ["c1", "web", "b", "", ""],
      ["c2", "", "a", "", "Ann"],
    ]);
    expect(sink.lines).toEqual([6, 10, 16]); // the line of each <event>
    expect(summary).toEqual({ columns: sink.columns, events: 3 });
    expect(sink.calls[0]).toBe("header");
    expect(sink.calls.at(-1)).toBe("end");
  });

  it("reads the whole log before the header: a key first used by the last event is a column", async () => {
    // Enough events that the late key comes chunks after the first rows were possible.
    const early = Array.from({ length: 3000 }, (_, i) =>
      trace(`c${i}`, `<event><string key="concept:name" value="step ${i}"/></event>\n`),
    ).join("");
    const late = trace(
      "last",
      '<event><string key="concept:name" value="end"/><int key="late" value="7"/></event>\n',
      '<string key="region" value="north"/>',
    );
    const { sink } = await read(log(early + late), 4096);
    expect(sink.columns).toEqual(["case:concept:name", "case:region", "concept:name", "late"]);
    expect(sink.typedHints).toEqual(new Map([["late", "NUMBER"]]));
    expect(sink.rows).toHaveLength(3001);
    expect(sink.rows[0]).toEqual(["c0", "", "step 0", ""]);
    expect(sink.rows.at(-1)).toEqual(["last", "north", "end", "7"]);
    expect(sink.calls.indexOf("header")).toBe(0);
  });

  it("counts keys declared by <global> as seen where they are declared", async () => {
    const { sink } = await read(
      log(
        '<global scope="event">\n<string key="org:resource" value="?"/>\n<date key="time:timestamp" value="1970-01-01T00:00:00Z"/>\n</global>\n' +
          '<global scope="trace"><string key="region" value="?"/></global>\n' +
          '<global><int key="cost" value="0"/></global>\n' + // scope defaults to event
          trace("c1", '<event><string key="concept:name" value="a"/></event>\n'),
      ),
    );
    expect(sink.columns).toEqual([
      "case:region",
      "case:concept:name",
      "org:resource",
      "time:timestamp",
      "cost",
      "concept:name",
    ]);
    expect(sink.rows).toEqual([["", "c1", "", "", "", "a"]]);
    expect(sink.typedHints).toEqual(
      new Map([
        ["time:timestamp", "DATETIME"],
        ["cost", "NUMBER"],
      ]),
    );
  });

  it("hints a definition per type, and none for a key whose types disagree", async () => {
    const { sink } = await read(
      log(
        trace(
          "c1",
          "<event>" +
            '<date key="when" value="2020-01-01"/><int key="n" value="1"/><boolean key="ok" value="true"/>' +
            '<string key="s" value="x"/><id key="uid" value="42"/><date key="mixed" value="2020-01-01"/>' +
            "</event>\n" +
            '<event><float key="n" value="2.5"/><boolean key="ok" value="0"/><string key="mixed" value="soon"/></event>\n',
          '<float key="budget" value="1e3"/>',
        ),
      ),
    );
    expect(sink.typedHints).toEqual(
      new Map([
        ["case:budget", "NUMBER"],
        ["when", "DATETIME"],
        ["n", "NUMBER"], // int and float both hint NUMBER
        ["ok", "BOOLEAN"],
      ]),
    );
    expect(sink.columns).toContain("mixed"); // a date here, a string there: no hint
    expect(sink.records()[1]).toMatchObject({ n: "2.5", ok: "0", mixed: "soon" });
  });

  it("skips extensions, classifiers, log attributes, lists and nested (meta) attributes", async () => {
    const { sink } = await read(
      log(
        '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n' +
          '<string key="creator" value="tool"><int key="version" value="2"/></string>\n' +
          '<classifier name="Activity" keys="concept:name"/>\n' +
          '<global scope="event"><string key="concept:name" value="?"><string key="meta" value="1"/></string></global>\n' +
          trace(
            "c1",
            '<event><string key="concept:name" value="a"><float key="confidence" value="0.9"/></string>' +
              '<list key="items"><values><string key="item" value="x"/></values></list>' +
              '<container key="box"><int key="inside" value="1"/></container></event>\n',
            '<list key="tags"><string key="tag" value="t"/></list>',
          ),
      ),
    );
    expect(sink.columns).toEqual(["case:concept:name", "concept:name"]);
    expect(sink.rows).toEqual([["c1", "a"]]);
  });

  it("passes values as written, with XML references resolved", async () => {
    const { sink } = await read(
      log(
        trace(
          "c&amp;1",
          '<event><string key="concept:name" value="say &quot;hi&quot; &lt;now&gt; &#x263A;"/>' +
            '<date key="time:timestamp" value="2011-10-01 00:38:44.546"/><int key="n" value=" 007 "/></event>\n',
        ),
      ),
    );
    expect(sink.rows).toEqual([["c&1", 'say "hi" <now> ☺', "2011-10-01 00:38:44.546", " 007 "]]);
  });

  it("gives an event key that names a case column (case:x) that column, the event's value winning", async () => {
    const { sink } = await read(
      log(
        trace(
          "c1",
          '<event><string key="case:stage" value="late"/><string key="concept:name" value="a"/></event>\n' +
            '<event><string key="concept:name" value="b"/></event>\n',
          '<string key="stage" value="early"/>',
        ),
      ),
    );
    expect(sink.columns).toEqual(["case:concept:name", "case:stage", "concept:name"]);
    expect(sink.rows).toEqual([
      ["c1", "late", "a"],
      ["c1", "early", "b"],
    ]);
  });

  it("reads multi-byte characters cut anywhere by the chunks, a BOM and CRLF line ends", async () => {
    const names = ["Prüfung ✓", "审批", "🚀 launch"];
    const events = Array.from(
      { length: 30_000 }, // over 1 MiB, so that the reader's own chunks cut characters too
      (_, i) => `<event>\r\n<string key="concept:name" value="${names[i % 3]}"/>\r\n</event>\r\n`,
    ).join("");
    const xml = `\uFEFF${log(trace("ü", events)).replaceAll("\n", "\r\n").replaceAll("\r\r", "\r")}`;
    const { sink } = await read(xml, 7);
    expect(sink.rows).toHaveLength(30_000);
    expect(sink.rows.map((row) => row[1])).toEqual(
      Array.from({ length: 30_000 }, (_, i) => names[i % 3]),
    );
    expect(sink.rows[0]?.[0]).toBe("ü");
    expect(sink.lines.slice(0, 2)).toEqual([5, 8]);
  });

  it("awaits flush after each chunk of input, so the sink keeps pace, and end once", async () => {
    const events = Array.from(
      { length: 20_000 },
      (_, i) => `<event><string key="concept:name" value="step ${i}"/></event>\n`,
    ).join("");
    const { sink } = await read(log(trace("c1", events)), 65_536);
    const flushes = sink.calls.filter((call) => call === "flush").length;
    expect(flushes).toBeGreaterThan(5); // ~900 KB of input: many chunks
    // Rows come between flushes, not all before the first one.
    expect(sink.calls.indexOf("flush")).toBeLessThan(sink.calls.lastIndexOf("row"));
    expect(sink.calls.filter((call) => call === "end")).toHaveLength(1);
    expect(sink.calls.at(-1)).toBe("end");
  });

  it("lets an error of the sink through", async () => {
    const sink = new RecordingSink();
    sink.row = (_cells, line) => {
      throw new DatasetError(line, "column time:timestamp: cannot read");
    };
    const xml = Buffer.from(
      log(trace("c1", '<event>\n<string key="concept:name" value="a"/>\n</event>\n')),
    );
    await expect(readXes(() => chunked(xml, 10), sink)).rejects.toThrow(
      "line 5: column time:timestamp: cannot read",
    );
  });

  it("refuses a dataset that changed between the two reads", async () => {
    const first = log(trace("c1", '<event><string key="concept:name" value="a"/></event>\n'));
    const second = log(trace("c1", '<event><string key="other" value="a"/></event>\n'));
    let opened = 0;
    const open = () => chunked(Buffer.from(opened++ === 0 ? first : second), 64);
    await expect(readXes(open, new RecordingSink())).rejects.toThrow(DatasetChangedError);
  });
});
