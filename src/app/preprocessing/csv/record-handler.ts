/**
 * What the record scanner hands its records to: quote-free records as byte ranges of the input
 * (`fastRecord`), every other record as fields parsed by csv-parse (`handleParsed`), and blank
 * lines as they are passed, so that the handler can count physical lines (see RecordLines).
 */
import type { Info } from "csv-parse";

export interface RecordHandler {
  /** A blank line was skipped. */
  blankLine(): void;
  /**
   * The quote-free record `buf[start, end)` (no CR or LF either); `lfEnded` when a LF follows
   * it directly. May throw a DatasetError.
   */
  fastRecord(buf: Buffer, start: number, end: number, lfEnded: boolean): void;
  /** Called before csv-parse is fed records starting at the next line. */
  beginParsed(): void;
  /** One record parsed by csv-parse. May throw a DatasetError. */
  handleParsed(record: string[], info: Info): void;
  /** Maps an error raised by csv-parse (or by the handler) to the error to throw. */
  parseFailure(error: unknown): unknown;
}
