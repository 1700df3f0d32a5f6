/**
 * Per-record work, run synchronously as the parser emits each record: tracks physical line
 * numbers, validates the header and every row, and routes rows to the training or holdout
 * writer by case.
 */
import { CsvError, type Info } from "csv-parse";
import { CaseSplitter, detectCaseColumn } from "./case-split.js";
import { ChunkedCsvWriter } from "./csv-writer.js";
import { DatasetError, emptyFileError, excerptOf } from "./errors.js";
import type { ChunkSink, Delimiter, PreprocessSummary } from "./types.js";

/** Longest record accepted; bounds the memory used by a runaway quoted field. */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024;
const MAX_LISTED_COLUMNS = 50;

export class RecordRouter {
  private columns: string[] = [];
  private caseIdColumn = "";
  private caseIndex = -1;
  private width = 0;
  private headerLine = 0; // 0 until the header has been read
  private rows = 0;
  private holdoutRows = 0;
  // Line tracking: csv-parse counts a CRLF inside a quoted field twice and reports the line
  // where a record ends, so the start line of each record is derived here instead.
  private nextLine = 1; // line following the last record (blank lines not yet counted)
  private emptyLinesSeen = 0; // csv-parse's count of skipped blank lines at the last record
  private drift = 0; // csv-parse's line count minus ours, at the last record
  private readonly splitter: CaseSplitter;
  private readonly training: ChunkedCsvWriter;
  private readonly holdout: ChunkedCsvWriter;

  constructor(
    private readonly requestedCaseColumn: string,
    holdoutFraction: number,
    private readonly delimiter: Delimiter,
    sinks: { training: ChunkSink; holdout: ChunkSink },
  ) {
    this.splitter = new CaseSplitter(holdoutFraction);
    this.training = new ChunkedCsvWriter(sinks.training);
    this.holdout = new ChunkedCsvWriter(sinks.holdout);
  }

  get rowCount(): number {
    return this.rows;
  }

  /** Handles one parsed record; throws DatasetError for an invalid one. */
  handle(record: string[], info: Info): void {
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
    let holdout: boolean;
    if (this.caseIndex >= 0) {
      const caseId = record[this.caseIndex] as string;
      if (caseId.length === 0 || caseId.trim().length === 0) {
        throw new DatasetError(
          line,
          `empty case id in column ${JSON.stringify(this.caseIdColumn)}`,
          this.excerpt(record),
        );
      }
      holdout = this.splitter.isHoldout(caseId);
    } else {
      holdout = this.splitter.nextCase();
    }
    this.rows++;
    if (holdout) {
      this.holdoutRows++;
      this.holdout.add(record);
    } else {
      this.training.add(record);
    }
  }

  /** Maps an error raised while parsing to a DatasetError with the right line. */
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
