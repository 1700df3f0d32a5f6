/**
 * Per-record work, run synchronously record by record: tracks physical line numbers, validates
 * the header and every row, and routes rows to the training or holdout writer by case.
 *
 * Records arrive two ways (see scanner.ts): quote-free records as byte ranges of the input
 * (`fastRecord`, the hot path: split by the delimiter byte, copied to the output as they are),
 * and every other record parsed by csv-parse (`handleParsed`).
 */
import { CsvError, type Info } from "csv-parse";
import { CaseSplitter, detectCaseColumn } from "./case-split.js";
import { ChunkedCsvWriter } from "./csv-writer.js";
import { DatasetError, emptyFileError, excerptOf } from "./errors.js";
import type { ChunkSink, Delimiter, PreprocessSummary } from "./types.js";

/** Longest record accepted; bounds the memory used by a runaway quoted field. */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024;
const MAX_LISTED_COLUMNS = 50;
const QUOTE = 0x22;
const CR = 0x0d;
const COMMA = 0x2c;

/** `fastRecord` result: the record holds a quote, csv-parse must parse it. */
export const NEEDS_PARSER = -1;
/** `fastRecord` result: the record's end is not in the buffer yet. */
export const INCOMPLETE = -2;

export class RecordRouter {
  private columns: string[] = [];
  private caseIdColumn = "";
  private caseIndex = -1;
  private width = 0;
  private headerLine = 0; // 0 until the header has been read
  private rows = 0;
  private holdoutRows = 0;
  private readonly delimiterByte: number;
  /** Physical line where the next record starts (blank lines are counted as they are passed). */
  private nextLine = 1;
  // For records from csv-parse, which counts a CRLF inside a quoted field twice and reports the
  // line where a record ends: its counters at the last record of the current parse.
  private emptyLinesSeen = 0; // csv-parse's count of skipped blank lines
  private drift = 0; // csv-parse's line count minus ours
  private readonly splitter: CaseSplitter;
  private readonly training: ChunkedCsvWriter;
  private readonly holdout: ChunkedCsvWriter;

  constructor(
    private readonly requestedCaseColumn: string,
    holdoutFraction: number,
    private readonly delimiter: Delimiter,
    sinks: { training: ChunkSink; holdout: ChunkSink },
  ) {
    this.delimiterByte = delimiter.charCodeAt(0);
    this.splitter = new CaseSplitter(holdoutFraction);
    this.training = new ChunkedCsvWriter(sinks.training);
    this.holdout = new ChunkedCsvWriter(sinks.holdout);
  }

  get rowCount(): number {
    return this.rows;
  }

  /** A blank line was skipped. */
  blankLine(): void {
    this.nextLine++;
  }

  /**
   * Handles the record starting at `start` (not a line end) if it has no quote: `lf` is the
   * offset of the next LF, or `buf.length` when there is none (`hasLf` false). Returns the
   * offset after the record's line end (CRLF, LF or a lone CR, as csv-parse splits records),
   * NEEDS_PARSER, or INCOMPLETE. Throws DatasetError for an invalid record.
   */
  fastRecord(buf: Buffer, start: number, lf: number, hasLf: boolean): number {
    const delimiter = this.delimiterByte;
    const caseIndex = this.caseIndex;
    let fields = 1;
    let caseStart = start;
    let caseEnd = -1;
    let end = lf; // end of the record's text
    let next = lf + 1;
    let comma = false;
    for (let i = start; i < lf; i++) {
      const b = buf[i];
      if (b === delimiter) {
        if (fields === caseIndex) caseStart = i + 1;
        else if (fields === caseIndex + 1) caseEnd = i;
        fields++;
      } else if (b === QUOTE) {
        return NEEDS_PARSER;
      } else if (b === CR) {
        if (i + 1 < lf)
          next = i + 1; // a lone CR ends the record
        else if (!hasLf) return INCOMPLETE; // CR at the buffer's end: maybe CRLF
        end = i;
        break;
      } else if (b === COMMA) {
        comma = true;
      }
    }
    if (end === lf && !hasLf) return INCOMPLETE;
    if (caseEnd === -1) caseEnd = end;
    const line = this.nextLine++;

    if (this.headerLine === 0) {
      this.acceptHeader(buf.toString("utf8", start, end).split(this.delimiter), line);
      return next;
    }
    if (fields !== this.width) {
      throw new DatasetError(
        line,
        `expected ${this.width} fields, found ${fields}`,
        excerptOf(buf.toString("utf8", start, end)),
      );
    }
    const writer = this.route(
      caseIndex < 0 ? undefined : buf.toString("utf8", caseStart, caseEnd),
      line,
      buf,
      start,
      end,
    );
    if (delimiter === COMMA) {
      if (end === lf) writer.addRaw(buf, start, lf + 1);
      else writer.addRawLine(buf, start, end);
    } else if (!comma) {
      writer.addWithDelimiter(buf, start, end, delimiter);
    } else {
      writer.add(buf.toString("utf8", start, end).split(this.delimiter));
    }
    return next;
  }

  /** Call before feeding csv-parse a run of records starting at the next line. */
  beginParsed(): void {
    this.emptyLinesSeen = 0;
    this.drift = 1 - this.nextLine; // csv-parse's line 1 is our `nextLine`
  }

  /** Handles one record parsed by csv-parse; throws DatasetError for an invalid one. */
  handleParsed(record: string[], info: Info): void {
    const line = this.nextLine + (info.empty_lines - this.emptyLinesSeen);
    let end = line;
    for (let i = 0; i < record.length; i++) {
      const field = record[i] as string;
      if (field.indexOf("\n") !== -1) end += countLf(field);
    }
    this.nextLine = end + 1;
    this.emptyLinesSeen = info.empty_lines;
    this.drift = info.lines - end;

    if (this.headerLine === 0) {
      this.acceptHeader(record, line);
      return;
    }
    if (record.length !== this.width) {
      throw new DatasetError(
        line,
        `expected ${this.width} fields, found ${record.length}`,
        this.excerpt(record),
      );
    }
    const caseId = this.caseIndex < 0 ? undefined : (record[this.caseIndex] as string);
    this.route(caseId, line, record).add(record);
  }

  /** Maps an error raised by csv-parse to a DatasetError with the right line. */
  parseFailure(error: unknown): unknown {
    if (!(error instanceof CsvError)) return error;
    const emptyLines = typeof error.empty_lines === "number" ? error.empty_lines : 0;
    const start = this.nextLine + Math.max(0, emptyLines - this.emptyLinesSeen);
    const reported = typeof error.lines === "number" ? error.lines - this.drift : start;
    const here = Math.max(start, reported);
    const field = typeof error.field === "string" ? excerptOf(error.field) : "";
    switch (error.code) {
      case "CSV_QUOTE_NOT_CLOSED":
        return new DatasetError(start, "quoted field is never closed (missing closing quote)");
      case "CSV_INVALID_CLOSING_QUOTE":
        return new DatasetError(
          here,
          "a closing quote must be followed by a delimiter or a line end (quotes inside a quoted field must be doubled)",
        );
      case "INVALID_OPENING_QUOTE":
        return new DatasetError(here, "quote inside an unquoted field", field);
      case "CSV_MAX_RECORD_SIZE":
        return new DatasetError(
          start,
          `record longer than ${MAX_RECORD_CHARS / 1024 / 1024} Mi characters (missing closing quote?)`,
        );
      default:
        return new DatasetError(here, error.message);
    }
  }

  /** Checks what can only be checked at the end of the input. */
  finish(): void {
    if (this.headerLine === 0) throw emptyFileError();
    if (this.rows === 0) {
      throw new DatasetError(this.headerLine, "the file has a header but no data rows");
    }
  }

  /** Hands complete output chunks to the sinks (awaiting each write). */
  async flush(): Promise<void> {
    await this.training.flush();
    await this.holdout.flush();
  }

  /** Writes the remaining output. */
  async end(): Promise<void> {
    await this.training.end();
    await this.holdout.end();
  }

  summary(): PreprocessSummary {
    return {
      rows: this.rows,
      trainingRows: this.rows - this.holdoutRows,
      holdoutRows: this.holdoutRows,
      cases: this.splitter.cases,
      columns: this.columns.slice(),
      caseIdColumn: this.caseIdColumn,
      delimiter: this.delimiter,
    };
  }

  /**
   * Counts a valid-width row and picks its side; the record (fields, or a byte range of `buf`)
   * is only needed for the error excerpt.
   */
  private route(
    caseId: string | undefined,
    line: number,
    record: readonly string[] | Buffer,
    start = 0,
    end = 0,
  ): ChunkedCsvWriter {
    let holdout: boolean;
    if (caseId === undefined) {
      holdout = this.splitter.nextCase();
    } else {
      if (isBlank(caseId)) {
        const text = Buffer.isBuffer(record)
          ? record.toString("utf8", start, end)
          : record.join(this.delimiter);
        throw new DatasetError(
          line,
          `empty case id in column ${JSON.stringify(this.caseIdColumn)}`,
          excerptOf(text),
        );
      }
      holdout = this.splitter.isHoldout(caseId);
    }
    this.rows++;
    if (!holdout) return this.training;
    this.holdoutRows++;
    return this.holdout;
  }

  private acceptHeader(record: string[], line: number): void {
    const names = record.map((name) => name.trim());
    const firstIndex = new Map<string, number>();
    names.forEach((name, i) => {
      if (name === "") {
        throw new DatasetError(line, `column ${i + 1} has an empty name`, this.excerpt(record));
      }
      const earlier = firstIndex.get(name);
      if (earlier !== undefined) {
        throw new DatasetError(
          line,
          `duplicate column name ${JSON.stringify(name)} (columns ${earlier + 1} and ${i + 1})`,
          this.excerpt(record),
        );
      }
      firstIndex.set(name, i);
    });
    const requested = this.requestedCaseColumn.trim();
    const caseColumn = requested === "" ? detectCaseColumn(names) : requested;
    if (caseColumn !== undefined) {
      this.caseIndex = names.indexOf(caseColumn);
      if (this.caseIndex < 0) {
        throw new DatasetError(
          line,
          `case id column ${JSON.stringify(requested)} not found; available columns: ${listColumns(names)}`,
        );
      }
      this.caseIdColumn = caseColumn;
    }
    this.columns = names;
    this.width = names.length;
    this.headerLine = line;
    this.training.writeHeader(names);
    this.holdout.writeHeader(names);
  }

  private excerpt(record: readonly string[]): string {
    return excerptOf(record.join(this.delimiter));
  }
}

/** True for '' and whitespace only (as `trim` sees it), cheaply for the usual ids. */
function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const first = text.charCodeAt(0);
  if (first > 0x20 && first < 0xa0) return false;
  return text.trim().length === 0;
}

function countLf(text: string): number {
  let count = 0;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) count++;
  return count;
}

function listColumns(names: readonly string[]): string {
  const listed = names.slice(0, MAX_LISTED_COLUMNS).map((name) => JSON.stringify(name));
  const more = names.length - listed.length;
  return listed.join(", ") + (more > 0 ? ` and ${more} more` : "");
}
