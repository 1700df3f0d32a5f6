/**
 * XesSpool (the XES reader that parses the XML once, keeping the rows in a scratch file) hands
 * a sink exactly what the two-pass readXes does: header, typed hints, rows, lines; on the shared
 * real logs, a generated log, and values that need the spool's escapes. It parses its source
 * once however often it is read, and deletes its file on close.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { XesSpool } from "../../../../src/app/preprocessing/xes/index.js";
import { syntheticXesLog } from "../../../helpers/xes.js";
import { chunked, log, RecordingSink, read, sharedDataFile } from "./helpers.js";

const tempDir = mkdtempSync(join(tmpdir(), "xes-spool-test-"));
afterAll(() => rmSync(tempDir, { recursive: true, force: true }));

async function readSpooled(xml: Uint8Array, chunkSize: number, times = 1) {
  const spool = XesSpool.create(tempDir);
  let opened = 0;
  const sinks: RecordingSink[] = [];
  try {
    for (let i = 0; i < times; i++) {
      const sink = new RecordingSink();
      await spool.read(() => {
        opened++;
        return chunked(xml, chunkSize);
      }, sink);
      sinks.push(sink);
    }
  } finally {
    spool.close();
  }
  return { sinks, opened };
}

async function expectSameAsTwoPass(xml: Uint8Array, chunkSize = 4096): Promise<void> {
  const { sink: twoPass } = await read(xml, chunkSize);
  const { sinks, opened } = await readSpooled(xml, chunkSize, 2);
  expect(opened).toBe(1);
  for (const sink of sinks) {
    expect(sink.columns).toEqual(twoPass.columns);
    expect(sink.typedHints).toEqual(twoPass.typedHints);
    expect(sink.rows).toEqual(twoPass.rows);
    expect(sink.lines).toEqual(twoPass.lines);
    expect(sink.calls[0]).toBe("header");
    expect(sink.calls.at(-1)).toBe("end");
  }
}

const trace = (id: string, events: string, attributes = "") =>
  `<trace>\n<string key="concept:name" value="${id}"/>\n${attributes}${events}</trace>\n`;

describe("XesSpool", () => {
  for (const name of [
    "running-example.xes",
    "roadtraffic100traces.xes",
    "interval_event_log.xes",
  ]) {
    const xml = sharedDataFile(name);
    it.skipIf(!xml)(`reads ${name} as the two-pass reader does`, async () => {
      await expectSameAsTwoPass(xml as Buffer);
    });
  }

  it("reads a generated log of several MiB as the two-pass reader does", async () => {
    const xml = Buffer.from([...syntheticXesLog(3_000_000)].join(""));
    await expectSameAsTwoPass(xml, 65_536);
  });

  it("keeps values with the spool's separators, newlines and non-ASCII text, cut anywhere", async () => {
    const xml = Buffer.from(
      `<?xml version="1.1" encoding="UTF-8"?>\n<log xes.version="1.0">\n${trace(
        "c&#1;1",
        '<event>\n<string key="concept:name" value="a&#2;b&#3;c&#10;d"/>\n<string key="case:region" value="é€😀"/>\n</event>\n' +
          '<event>\n<string key="concept:name" value="\u00e9\u20ac"/>\n<int key="n" value="7"/>\n</event>\n',
        '<string key="region" value="nörth&#x3;"/>\n',
      )}${trace("c2", "", '<string key="late" value="x"/>\n')}</log>\n`,
    );
    for (const chunkSize of [1, 3, 7, 4096]) await expectSameAsTwoPass(xml, chunkSize);
    const { sinks } = await readSpooled(xml, 5);
    // The event's case:region is the trace's region column, and wins over it.
    expect(sinks[0]?.rows).toEqual([
      ["c\x011", "é€😀", "", "a\x02b\x03c\nd", ""],
      ["c\x011", "nörth\x03", "", "é€", "7"],
    ]);
  });

  it("fails with the line before any row, and deletes its file on close", async () => {
    const xml = Buffer.from(log(`${trace("c1", "<event>\n")}`));
    const spool = XesSpool.create(tempDir);
    const sink = new RecordingSink();
    await expect(spool.read(() => chunked(xml, 16), sink)).rejects.toThrow(
      /line \d+: not well-formed/,
    );
    expect(sink.calls).toEqual([]);
    expect(readdirSync(tempDir)).toHaveLength(1);
    spool.close();
    expect(readdirSync(tempDir)).toHaveLength(0);
    expect(existsSync(tempDir)).toBe(true);
  });

  it("refuses a log without events", async () => {
    const spool = XesSpool.create(tempDir);
    try {
      await expect(
        spool.read(() => chunked(Buffer.from(log(trace("c1", ""))), 64), new RecordingSink()),
      ).rejects.toThrow("the log has no events");
    } finally {
      spool.close();
    }
  });
});
