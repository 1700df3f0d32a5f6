import { describe, expect, it } from "vitest";
import {
  ChunkedCsvWriter,
  OUTPUT_CHUNK_BYTES,
} from "../../../../src/app/preprocessing/csv/csv-writer.js";
import { detectDelimiter, headerLineEnd } from "../../../../src/app/preprocessing/csv/delimiter.js";
import { excerptOf } from "../../../../src/app/preprocessing/csv/errors.js";
import {
  firstInvalidUtf8,
  incompleteTailLength,
} from "../../../../src/app/preprocessing/csv/utf8.js";
import { MemorySink } from "./helpers.js";

describe("delimiter detection", () => {
  const detect = (text: string) => detectDelimiter(Buffer.from(text));
  it("picks the most frequent delimiter of the header line, outside quotes", () => {
    expect(detect("a,b,c\n1;2;3;4;5")).toBe(",");
    expect(detect("a;b;c\n")).toBe(";");
    expect(detect("a\tb\tc,d\n")).toBe("\t");
    expect(detect('"a,b,c";d;e\n')).toBe(";");
    expect(detect("a,b;c\n")).toBe(","); // tie: comma first
    expect(detect("a;b\tc\n")).toBe(";");
    expect(detect("single\n")).toBe(",");
    expect(detect("")).toBe(",");
  });
  it("finds the end of the header line outside quotes", () => {
    expect(headerLineEnd(Buffer.from('a,"b\nc",d\r\n1'))).toBe(9);
    expect(headerLineEnd(Buffer.from('a,"b\n'))).toBe(-1);
    expect(headerLineEnd(Buffer.from("a,b"))).toBe(-1);
  });
});

describe("UTF-8 helpers", () => {
  it("finds an incomplete character at the end of a chunk", () => {
    const euro = Buffer.from("€"); // e2 82 ac
    const rocket = Buffer.from("🚀"); // 4 bytes
    expect(incompleteTailLength(Buffer.from("ab"))).toBe(0);
    expect(incompleteTailLength(Buffer.concat([Buffer.from("a"), euro]))).toBe(0);
    expect(incompleteTailLength(euro.subarray(0, 1))).toBe(1);
    expect(incompleteTailLength(euro.subarray(0, 2))).toBe(2);
    expect(incompleteTailLength(rocket.subarray(0, 3))).toBe(3);
    expect(incompleteTailLength(rocket)).toBe(0);
    expect(incompleteTailLength(Buffer.from([0x61, 0x80]))).toBe(0); // invalid: left to validation
  });

  it("locates the first invalid byte like a fatal TextDecoder", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    const pieces = ["a", "é", "€", "🚀", "\n"].map((s) => Buffer.from(s));
    for (let round = 0; round < 2000; round++) {
      const parts: Buffer[] = [];
      for (let i = 0; i < 12; i++) parts.push(pieces[random() % pieces.length] as Buffer);
      const bytes = Buffer.concat(parts);
      if (round % 2 === 0) bytes[random() % bytes.length] = random() % 256; // corrupt one byte
      const bad = firstInvalidUtf8(bytes);
      let valid = true;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        valid = false;
      }
      expect(bad === -1).toBe(valid);
      if (bad >= 0) {
        // Everything before `bad` is valid, and `bad` does not start a valid sequence.
        expect(() =>
          new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, bad)),
        ).not.toThrow();
        expect(bytes.subarray(bad).toString("utf8").startsWith("\uFFFD")).toBe(true);
      }
    }
  });
});

describe("chunked CSV writer", () => {
  it("writes the header, quotes as needed and emits chunks of about 256 KiB", async () => {
    const sink = new MemorySink();
    const writer = new ChunkedCsvWriter(sink);
    writer.writeHeader(["a", "b,c"]);
    for (let i = 0; i < 50_000; i++) writer.add([`row ${i}`, i % 2 ? 'say "x"' : "multi\nline"]);
    await writer.flush();
    const flushed = sink.chunks.length;
    expect(flushed).toBeGreaterThan(0);
    await writer.end();
    const text = sink.text;
    expect(text.startsWith('a,"b,c"\nrow 0,"multi\nline"\nrow 1,"say ""x"""\n')).toBe(true);
    for (const chunk of sink.chunks.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(OUTPUT_CHUNK_BYTES);
      expect(chunk.length).toBeLessThan(OUTPUT_CHUNK_BYTES + 16 * 1024);
    }
  });
});

describe("chunked CSV writer buffers", () => {
  it("writes a tiny file as one short chunk", async () => {
    const sink = new MemorySink();
    const writer = new ChunkedCsvWriter(sink);
    writer.writeHeader(["case", "activity"]);
    writer.add(["1", "start"]);
    await writer.end();
    expect(sink.chunks.map((chunk) => chunk.toString())).toEqual(["case,activity\n1,start\n"]);
  });

  it("grows through fields, raw ranges and one field longer than a chunk, byte for byte", async () => {
    const sink = new MemorySink();
    const writer = new ChunkedCsvWriter(sink);
    let expected = "a,b\n";
    writer.writeHeader(["a", "b"]);
    const raw = Buffer.from("r1,x\nr2,y\n");
    const huge = "h".repeat(OUTPUT_CHUNK_BYTES + 5000);
    for (let i = 0; i < 30_000; i++) {
      if (i % 3 === 0) {
        writer.addRaw(raw, 0, raw.length);
        expected += "r1,x\nr2,y\n";
      } else {
        writer.add([`row ${i}`, "v".repeat(i % 50)]);
        expected += `row ${i},${"v".repeat(i % 50)}\n`;
      }
      if (i === 100 || i === 20_000) {
        writer.add([huge, "z"]);
        expected += `${huge},z\n`;
      }
      if (i % 1000 === 0) await writer.flush();
    }
    await writer.end();
    expect(sink.text).toBe(expected);
    const sizes = sink.chunks.map((chunk) => chunk.length);
    expect(sizes.slice(0, -1).every((size) => size === OUTPUT_CHUNK_BYTES)).toBe(true);
    expect(sizes.at(-1)).toBeLessThanOrEqual(OUTPUT_CHUNK_BYTES);
    expect(sizes.length).toBe(Math.ceil(Buffer.byteLength(expected) / OUTPUT_CHUNK_BYTES));
  });
});

describe("excerpts", () => {
  it("cuts long text without splitting a surrogate pair", () => {
    expect(excerptOf("short")).toBe("short");
    expect(excerptOf("x".repeat(50))).toBe(`${"x".repeat(40)}…`);
    expect(excerptOf(`${"x".repeat(39)}🚀tail`)).toBe(`${"x".repeat(39)}…`);
  });
});
