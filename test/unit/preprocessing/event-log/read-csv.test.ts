/**
 * The CSV reader of event logs: the CSV pipeline's scanner, line counting and messages, handing
 * a header and rows of cells (with their physical lines) to an EventRowSink.
 */
import { describe, expect, it } from "vitest";
import { DatasetError } from "../../../../src/app/preprocessing/csv/errors.js";
import type { EventRowSink } from "../../../../src/app/preprocessing/event-log/event-rows.js";
import { readCsvEventLog } from "../../../../src/app/preprocessing/event-log/read-csv.js";
import type { TypedHint } from "../../../../src/domain/event-log/index.js";
import { chunked } from "../csv/helpers.js";

class RecordingSink implements EventRowSink {
  header_: string[] | undefined;
  hints: ReadonlyMap<string, TypedHint> | undefined;
  readonly rows: { cells: string[]; line: number }[] = [];
  flushes = 0;
  ends = 0;
  header(columns: readonly string[], typedHints: ReadonlyMap<string, TypedHint>): void {
    this.header_ = [...columns];
    this.hints = typedHints;
  }
  row(cells: readonly string[], line: number): void {
    this.rows.push({ cells: [...cells], line });
  }
  async flush(): Promise<void> {
    this.flushes++;
  }
  async end(): Promise<void> {
    this.ends++;
  }
}

async function read(text: string | Buffer, chunkSize = Number.MAX_SAFE_INTEGER) {
  const sink = new RecordingSink();
  const data = typeof text === "string" ? Buffer.from(text) : text;
  const summary = await readCsvEventLog(chunked(data, chunkSize), sink);
  return { sink, summary };
}

async function readFailing(text: string, chunkSize?: number): Promise<DatasetError> {
  const error: unknown = await read(text, chunkSize).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

describe("readCsvEventLog", () => {
  it("hands on the trimmed header and every row with its physical line", async () => {
    const text = '\uFEFF case ; activity;note\r\n\r\nc1;a;"x;y"\nc1;b;"two\nlines"\n\nc2;c;plain';
    for (const chunkSize of [1, 3, 7, 1000]) {
      const { sink, summary } = await read(text, chunkSize);
      expect(sink.header_).toEqual(["case", "activity", "note"]);
      expect(sink.hints?.size).toBe(0);
      expect(sink.rows).toEqual([
        { cells: ["c1", "a", "x;y"], line: 3 },
        { cells: ["c1", "b", "two\nlines"], line: 4 },
        { cells: ["c2", "c", "plain"], line: 7 },
      ]);
      expect(summary).toMatchObject({ rows: 3, delimiter: ";" });
      expect(sink.ends).toBe(1);
    }
  });

  it("flushes the sink after every input chunk", async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => `c${i},a,2020-01-01T00:00:00Z`);
    const data = Buffer.from(`case,activity,time\n${rows.join("\n")}\n`);
    const { sink } = await read(data, 64 * 1024);
    expect(sink.rows).toHaveLength(20_000);
    // The pipeline re-chunks its input into pieces of at least 64 KiB.
    expect(sink.flushes).toBe(Math.ceil(data.length / (64 * 1024)));
  });

  it("reports the CSV pipeline's errors at their lines", async () => {
    expect((await readFailing("case,activity\nc1,a\nc2\n")).message).toBe(
      'line 3: expected 2 fields, found 1 (excerpt: "c2")',
    );
    expect((await readFailing('case,activity\nc1,"a\n\nb,c\n', 4)).message).toBe(
      "line 2: quoted field is never closed (missing closing quote)",
    );
    expect((await readFailing("case,activity\n")).message).toBe(
      "line 1: the file has a header but no data rows",
    );
    expect((await readFailing("")).message).toBe("line 1: the file is empty (no header line)");
    expect((await readFailing("case,case\nc1,c1\n")).message).toMatch(
      /^line 1: duplicate column name "case"/,
    );
  });

  it("lets an error of the sink through unchanged, from quoted and unquoted records", async () => {
    class Stop extends Error {}
    for (const text of ["case,note\nc1,x\nc2,y\n", 'case,note\nc1,"x"\nc2,"y"\n']) {
      const stop = new Stop("stop");
      const sink = new RecordingSink();
      sink.row = (_cells, line) => {
        if (line === 3) throw stop;
      };
      const error = await readCsvEventLog(chunked(Buffer.from(text), 5), sink).catch(
        (e: unknown) => e,
      );
      expect(error).toBe(stop);
    }
  });
});
