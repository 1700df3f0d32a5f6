/**
 * The CSV records of an event log, handed on as rows of text cells: the record scanner's
 * handler (beside RecordRouter, which routes raw records for logs without a definition) that
 * checks the header and the field counts and gives every record to an EventRowSink with its
 * physical line.
 */
import type { Info } from "csv-parse";
import type { TypedHint } from "../../../domain/event-log/index.js";
import { emptyFileError, fieldCountError, noDataRowsError } from "../csv/errors.js";
import { readHeader } from "../csv/header.js";
import { RecordLines } from "../csv/record-lines.js";
import type { CsvPassHandler } from "../csv/scan-csv.js";
import type { Delimiter } from "../csv/types.js";
import type { EventRowSink } from "./event-rows.js";

/** CSV declares no types: its columns get their definitions from names only. */
const noTypedHints: ReadonlyMap<string, TypedHint> = new Map();

export class CsvRowRouter implements CsvPassHandler {
  private readonly lines = new RecordLines();
  private width = 0;
  private headerLine = 0; // 0 until the header has been read
  private rows = 0;

  constructor(
    private readonly sink: EventRowSink,
    private readonly delimiter: Delimiter,
  ) {}

  /** Data rows handed on so far. */
  get rowCount(): number {
    return this.rows;
  }

  blankLine(): void {
    this.lines.next++;
  }

  fastRecord(buf: Buffer, start: number, end: number): void {
    const line = this.lines.next++;
    const text = buf.toString("utf8", start, end);
    this.accept(text.split(this.delimiter), line, text);
  }

  beginParsed(): void {
    this.lines.beginParsed();
  }

  handleParsed(record: string[], info: Info): void {
    this.accept(record, this.lines.parsed(record, info), undefined);
  }

  parseFailure(error: unknown): unknown {
    return this.lines.parseFailure(error);
  }

  /** Checks what can only be checked at the end of the input. */
  finish(): void {
    if (this.headerLine === 0) throw emptyFileError();
    if (this.rows === 0) throw noDataRowsError(this.headerLine);
  }

  flush(): Promise<void> {
    return this.sink.flush();
  }

  end(): Promise<void> {
    return this.sink.end();
  }

  /** `text`: the record as written, when it is at hand (for error excerpts). */
  private accept(cells: string[], line: number, text: string | undefined): void {
    if (this.headerLine === 0) {
      const header = readHeader(cells, line, "", this.delimiter);
      this.width = header.names.length;
      this.headerLine = line;
      this.sink.header(header.names, noTypedHints);
      return;
    }
    if (cells.length !== this.width) {
      throw fieldCountError(line, this.width, cells.length, text ?? cells.join(this.delimiter));
    }
    this.rows++;
    this.sink.row(cells, line);
  }
}
