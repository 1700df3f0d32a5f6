/**
 * Per-record work, run synchronously record by record: tracks physical line numbers, validates
 * the header and every row, and routes rows to the training or holdout writer by case.
 *
 * Records arrive two ways (see `RecordScanner`): quote-free records as byte ranges of the input
 * (`fastRecord`, the hot path: split by the delimiter byte, copied to the output as they are),
 * and every other record parsed by csv-parse (`handleParsed`).
 */
import type { Info } from "csv-parse";
import { CaseSplitter } from "./case-split.js";
import { ChunkedCsvWriter } from "./csv-writer.js";
import {
  type DatasetError,
  emptyCaseIdError,
  emptyFileError,
  fieldCountError,
  noDataRowsError,
} from "./errors.js";
import { readHeader } from "./header.js";
import type { RecordHandler } from "./record-handler.js";
import { RecordLines } from "./record-lines.js";
import type { ChunkSink, Delimiter, PreprocessSummary } from "./types.js";

const COMMA = 0x2c;

export interface RecordRouterOptions {
  /** The case id column asked for ('' to pick it from the header). */
  readonly caseIdColumn: string;
  readonly holdoutFraction: number;
  readonly delimiter: Delimiter;
  readonly sinks: { training: ChunkSink; holdout: ChunkSink };
}

export class RecordRouter implements RecordHandler {
  private columns: string[] = [];
  private caseIdColumn = "";
  private caseIndex = -1;
  private width = 0;
  private headerLine = 0; // 0 until the header has been read
  private rows = 0;
  private holdoutRows = 0;
  private readonly requestedCaseColumn: string;
  private readonly delimiter: Delimiter;
  private readonly delimiterByte: number;
  private readonly lines = new RecordLines();
  // The case id bytes of the last fast record whose id was decoded, and its side.
  private lastCaseBuf: Buffer = Buffer.alloc(0);
  private lastCaseStart = 0;
  private lastCaseLength = -1;
  private lastHoldout = false;
  private readonly splitter: CaseSplitter;
  private readonly training: ChunkedCsvWriter;
  private readonly holdout: ChunkedCsvWriter;

  constructor(options: RecordRouterOptions) {
    this.requestedCaseColumn = options.caseIdColumn;
    this.delimiter = options.delimiter;
    this.delimiterByte = options.delimiter.charCodeAt(0);
    this.splitter = new CaseSplitter(options.holdoutFraction);
    this.training = new ChunkedCsvWriter(options.sinks.training);
    this.holdout = new ChunkedCsvWriter(options.sinks.holdout);
  }

  get rowCount(): number {
    return this.rows;
  }

  /** A blank line was skipped. */
  blankLine(): void {
    this.lines.next++;
  }

  /**
   * Handles the quote-free record `buf[start, end)` (no CR or LF either); `lfEnded` when a LF
   * follows it directly, so `buf[start, end + 1)` is a complete output line. Throws
   * DatasetError for an invalid record.
   */
  fastRecord(buf: Buffer, start: number, end: number, lfEnded: boolean): void {
    const delimiter = this.delimiterByte;
    const caseIndex = this.caseIndex;
    let fields = 1;
    let caseStart = start;
    let caseEnd = end;
    for (let i = start; i < end; i++) {
      if (buf[i] === delimiter) {
        if (fields === caseIndex) caseStart = i + 1;
        else if (fields === caseIndex + 1) caseEnd = i;
        fields++;
      }
    }
    const line = this.lines.next++;
    if (this.headerLine === 0) {
      this.acceptHeader(buf.toString("utf8", start, end).split(this.delimiter), line);
      return;
    }
    if (fields !== this.width) {
      throw fieldCountError(line, this.width, fields, buf.toString("utf8", start, end));
    }
    let holdout: boolean;
    if (caseIndex < 0) {
      holdout = this.splitter.nextCase();
    } else if (this.sameCaseAsLast(buf, caseStart, caseEnd)) {
      holdout = this.lastHoldout; // rows of a case usually come together
    } else {
      const caseId = buf.toString("utf8", caseStart, caseEnd);
      if (isBlank(caseId)) throw this.emptyCaseId(line, buf.toString("utf8", start, end));
      holdout = this.splitter.isHoldout(caseId);
      this.lastCaseBuf = buf;
      this.lastCaseStart = caseStart;
      this.lastCaseLength = caseEnd - caseStart;
      this.lastHoldout = holdout;
    }
    const writer = this.count(holdout);
    if (delimiter === COMMA) {
      if (lfEnded) writer.addRaw(buf, start, end + 1);
      else writer.addRawLine(buf, start, end);
    } else if (!contains(buf, start, end, COMMA)) {
      writer.addWithDelimiter(buf, start, end, delimiter);
    } else {
      writer.add(buf.toString("utf8", start, end).split(this.delimiter));
    }
  }

  /** Call before feeding csv-parse records starting at the next line. */
  beginParsed(): void {
    this.lines.beginParsed();
  }

  /** Handles one record parsed by csv-parse; throws DatasetError for an invalid one. */
  handleParsed(record: string[], info: Info): void {
    const line = this.lines.parsed(record, info);

    if (this.headerLine === 0) {
      this.acceptHeader(record, line);
      return;
    }
    if (record.length !== this.width) {
      throw fieldCountError(line, this.width, record.length, record.join(this.delimiter));
    }
    let holdout: boolean;
    if (this.caseIndex < 0) {
      holdout = this.splitter.nextCase();
    } else {
      const caseId = record[this.caseIndex] as string;
      if (isBlank(caseId)) throw this.emptyCaseId(line, record.join(this.delimiter));
      holdout = this.splitter.isHoldout(caseId);
    }
    this.count(holdout).add(record);
  }

  /** Maps an error raised by csv-parse to a DatasetError with the right line. */
  parseFailure(error: unknown): unknown {
    return this.lines.parseFailure(error);
  }

  /** Checks what can only be checked at the end of the input. */
  finish(): void {
    if (this.headerLine === 0) throw emptyFileError();
    if (this.rows === 0) throw noDataRowsError(this.headerLine);
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

  private acceptHeader(record: string[], line: number): void {
    const header = readHeader(record, line, this.requestedCaseColumn, this.delimiter);
    this.columns = header.names;
    this.caseIndex = header.caseIndex;
    this.caseIdColumn = header.caseIdColumn;
    this.width = header.names.length;
    this.headerLine = line;
    this.training.writeHeader(header.names);
    this.holdout.writeHeader(header.names);
  }

  private sameCaseAsLast(buf: Buffer, start: number, end: number): boolean {
    const length = end - start;
    if (length !== this.lastCaseLength) return false;
    const last = this.lastCaseBuf;
    const from = this.lastCaseStart;
    for (let i = 0; i < length; i++) {
      if (buf[start + i] !== last[from + i]) return false;
    }
    return true;
  }

  private count(holdout: boolean): ChunkedCsvWriter {
    this.rows++;
    if (!holdout) return this.training;
    this.holdoutRows++;
    return this.holdout;
  }

  private emptyCaseId(line: number, text: string): DatasetError {
    return emptyCaseIdError(line, this.caseIdColumn, text);
  }
}

/** True for '' and whitespace only (as `trim` sees it), cheaply for the usual ids. */
function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  const first = text.charCodeAt(0);
  if (first > 0x20 && first < 0xa0) return false;
  return text.trim().length === 0;
}

function contains(buf: Buffer, start: number, end: number, byte: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === byte) return true;
  return false;
}
