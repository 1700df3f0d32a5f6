// The head of a dataset whatever its format: the first MiB of its (gunzipped) content.
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { CompressedFileError } from "../../../../src/app/preprocessing/dataset-source.js";
import { startsLikeXml } from "../../../../src/app/preprocessing/event-log/dataset-format.js";
import {
  inspectDatasetHead,
  readDatasetStart,
} from "../../../../src/app/preprocessing/event-log/dataset-head.js";
import { chunked } from "../../preprocessing/csv/helpers.js";

/** `data` in `size`-byte chunks, counting the chunks taken and whether the source was closed. */
function source(data: Uint8Array, size: number) {
  const seen = { chunks: 0, closed: false };
  async function* read() {
    try {
      for await (const chunk of chunked(data, size)) {
        seen.chunks++;
        yield chunk;
      }
    } finally {
      seen.closed = true;
    }
  }
  return { stored: read(), seen };
}

/** About 120 KiB that compress only to about half: the cases and amounts vary. */
const csv = Buffer.from(
  `case,amount\n${Array.from({ length: 10_000 }, (_, i) => `c${(i * 7919) % 1009},${(i * 104729) % 99991}\n`).join("")}`,
);

describe("readDatasetStart", () => {
  it.each([
    ["plain", csv, false],
    ["gzip", gzipSync(csv), true],
  ])("reads all of a small %s file, and knows it is complete", async (_name, stored, gzip) => {
    const { stored: chunks, seen } = source(stored, 4096);
    const start = await readDatasetStart(chunks);
    expect({ ...start, bytes: start.bytes.equals(csv) }).toEqual({
      bytes: true,
      gzip,
      complete: true,
    });
    expect(seen.closed).toBe(true);
  });

  it.each([
    ["plain", csv],
    ["gzip", gzipSync(csv)],
  ])("stops a %s file after the limit and closes its source", async (_name, stored) => {
    const { stored: chunks, seen } = source(stored, 1024);
    const start = await readDatasetStart(chunks, 10_000);
    expect(start.bytes.equals(csv.subarray(0, 10_000))).toBe(true);
    expect(start.complete).toBe(false);
    expect(seen.closed).toBe(true);
    expect(seen.chunks).toBeLessThan(stored.length / 1024);
  });

  it("stops inflating a highly compressed file at the limit", async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, "a")); // 64 MiB in about 64 KiB
    const start = await readDatasetStart(source(bomb, bomb.length).stored, 1024 * 1024);
    expect(start.bytes.length).toBe(1024 * 1024);
    expect(start.complete).toBe(false);
  });

  it("reads an empty file as complete and empty", async () => {
    expect(await readDatasetStart(source(Buffer.alloc(0), 1).stored)).toEqual({
      bytes: Buffer.alloc(0),
      gzip: false,
      complete: true,
    });
  });

  it("refuses gzip that does not decompress", async () => {
    const broken = Buffer.from(gzipSync(csv));
    broken.fill(0x55, 20, 200);
    await expect(readDatasetStart(source(broken, 4096).stored)).rejects.toThrow(
      CompressedFileError,
    );
  });
});

describe("inspectDatasetHead", () => {
  it("reads a CSV head and names its format", async () => {
    const head = await inspectDatasetHead({ bytes: csv, gzip: true, complete: false });
    expect(head.format).toBe("csv+gzip");
    expect(head.columns).toEqual(["case", "amount"]);
    expect(head.sampleRows).toHaveLength(5);
    expect((await inspectDatasetHead({ bytes: csv, gzip: false, complete: true })).format).toBe(
      "csv",
    );
  });

  it("tells XES by its first character and reads its head with the XES reader", async () => {
    expect(startsLikeXml(Buffer.from('\ufeff \r\n\t<?xml version="1.0"?><log/>'))).toBe(true);
    expect(startsLikeXml(Buffer.from("case,<activity>\n"))).toBe(false);
    const log =
      '<log><trace><string key="concept:name" value="c1"/>' +
      '<event><string key="concept:name" value="a"/>' +
      '<date key="time:timestamp" value="2024-01-01T10:00:00Z"/></event></trace></log>';
    for (const gzip of [false, true]) {
      const head = await inspectDatasetHead({ bytes: Buffer.from(log), gzip, complete: true });
      expect(head.format).toBe(gzip ? "xes+gzip" : "xes");
      expect(head.columns).toEqual(["case:concept:name", "concept:name", "time:timestamp"]);
      expect(head.sampleRows).toEqual([["c1", "a", "2024-01-01T10:00:00Z"]]);
    }
  });
});
