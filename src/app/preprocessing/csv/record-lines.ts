/**
 * Physical line numbers of records, for error messages (the header is line 1), and the mapping
 * of csv-parse's errors to DatasetErrors on those lines. Quote-free records take one line each;
 * csv-parse counts a CRLF inside a quoted field twice and reports the line where a record ends,
 * so for its records the line is recomputed from its counters and the record's own LFs.
 */
import { CsvError, type Info } from "csv-parse";
import { DatasetError, excerptOf } from "./errors.js";

/** Longest record accepted; bounds the memory used by a runaway quoted field. */
export const MAX_RECORD_CHARS = 16 * 1024 * 1024;

export class RecordLines {
  /** Physical line where the next record starts (blank lines are counted as they are passed). */
  next = 1;
  // csv-parse's counters at the last record of the current parse.
  private emptyLinesSeen = 0; // its count of skipped blank lines
  private drift = 0; // its line count minus ours

  /** A blank line was skipped. */
  blankLine(): void {
    this.next++;
  }

  /** Call before feeding csv-parse records starting at the next line. */
  beginParsed(): void {
    this.emptyLinesSeen = 0;
    this.drift = 1 - this.next; // csv-parse's line 1 is our `next`
  }

  /** The line where a record parsed by csv-parse starts; moves past the record. */
  parsed(record: readonly string[], info: Info): number {
    const line = this.next + (info.empty_lines - this.emptyLinesSeen);
    let end = line;
    for (let i = 0; i < record.length; i++) {
      const field = record[i] as string;
      if (field.indexOf("\n") !== -1) end += countLf(field);
    }
    this.next = end + 1;
    this.emptyLinesSeen = info.empty_lines;
    this.drift = info.lines - end;
    return line;
  }

  /** Maps an error raised by csv-parse to a DatasetError with the right line. */
  parseFailure(error: unknown): unknown {
    if (!(error instanceof CsvError)) return error;
    const emptyLines = typeof error.empty_lines === "number" ? error.empty_lines : 0;
    const start = this.next + Math.max(0, emptyLines - this.emptyLinesSeen);
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
}

function countLf(text: string): number {
  let count = 0;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) count++;
  return count;
}
