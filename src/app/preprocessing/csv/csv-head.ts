/**
 * The head of a CSV file: its header and first rows, read the way preprocessing reads the whole
 * file (BOM, UTF-8, delimiter, quoting, header checks), for InspectDataset and for checking a
 * definition at CreateProject. Only complete records are read: the bytes may be the start of a
 * longer file, cut anywhere.
 */
import { isUtf8 } from "node:buffer";
import { CsvError } from "csv-parse";
import { parse } from "csv-parse/sync";
import type { DatasetHead } from "../event-log/event-rows.js";
import { parseOptions } from "./csv-library.js";
import { detectDelimiter, headerLineEnd, MAX_HEADER_BYTES } from "./delimiter.js";
import { DatasetError, emptyFileError, excerptOf } from "./errors.js";
import { readHeader } from "./header.js";
import { countLf, firstInvalidUtf8, incompleteTailLength } from "./utf8.js";

/** Rows of the head besides the header. */
export const SAMPLE_ROWS = 5;

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * The header and the first five rows of a CSV file that starts with `bytes`; `complete` says
 * whether `bytes` is the whole file (else a last record without its line end is left out).
 * Throws DatasetError naming the line of a problem.
 */
export function inspectCsvHead(bytes: Uint8Array, complete = true): DatasetHead {
  let buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
    buf = buf.subarray(3);
  }
  if (!complete) buf = buf.subarray(0, buf.length - incompleteTailLength(buf));
  const end = endOfRecords(buf, 1 + SAMPLE_ROWS, complete);
  if (end === 0) {
    if (complete || headerLineEnd(buf) !== -1) throw emptyFileError();
    throw new DatasetError(1, `the header line is longer than ${MAX_HEADER_BYTES} bytes`);
  }
  const text = buf.subarray(0, end);
  checkUtf8(text);
  const headerEnd = headerLineEnd(text);
  const delimiter = detectDelimiter(headerEnd === -1 ? text : text.subarray(0, headerEnd));
  const [first, ...rows] = parseWithLines(text, delimiter);
  if (first === undefined) throw emptyFileError();
  const header = readHeader(first.record, first.line, "", delimiter);
  const width = header.names.length;
  for (const row of rows) {
    if (row.record.length !== width) {
      throw new DatasetError(
        row.line,
        `expected ${width} fields, found ${row.record.length}`,
        excerptOf(row.record.join(delimiter)),
      );
    }
  }
  return {
    format: "csv",
    columns: header.names,
    typedHints: new Map(),
    sampleRows: rows.map((row) => row.record),
  };
}

/**
 * The offset after the line end of the `count`-th record that is not blank (quote parity: a
 * line end inside quotes belongs to the field), or after the last complete one when there are
 * fewer; with `complete`, a last record without a line end counts too. 0 when there is none.
 */
function endOfRecords(buf: Buffer, count: number, complete: boolean): number {
  let quoted = false;
  let recordStart = 0;
  let records = 0;
  let end = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === QUOTE) {
      quoted = !quoted;
    } else if (!quoted && (b === LF || b === CR)) {
      const next = b === CR && buf[i + 1] === LF ? i + 2 : i + 1;
      if (i > recordStart) {
        records++;
        end = next;
        if (records === count) return end;
      }
      recordStart = next;
      i = next - 1;
    }
  }
  return complete && buf.length > recordStart ? buf.length : end;
}

function checkUtf8(text: Buffer): void {
  if (isUtf8(text)) return;
  const bad = firstInvalidUtf8(text);
  const byte = (text[bad] as number).toString(16).padStart(2, "0");
  throw new DatasetError(
    1 + countLf(text, 0, bad),
    `invalid UTF-8 byte sequence (byte 0x${byte} at offset ${bad})`,
  );
}

interface NumberedRecord {
  readonly record: string[];
  /** The physical line the record ends on. */
  readonly line: number;
}

function parseWithLines(text: Buffer, delimiter: "," | ";" | "\t"): NumberedRecord[] {
  try {
    const parsed = parse(text, { ...parseOptions(delimiter), info: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
    return parsed.map(({ record, info }) => ({ record, line: info.lines }));
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = typeof error.lines === "number" ? error.lines : 1;
    throw new DatasetError(line, quotingProblem(error));
  }
}

function quotingProblem(error: CsvError): string {
  switch (error.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return "quoted field is never closed (missing closing quote)";
    case "CSV_INVALID_CLOSING_QUOTE":
      return "a closing quote must be followed by a delimiter or a line end (quotes inside a quoted field must be doubled)";
    case "INVALID_OPENING_QUOTE":
      return "quote inside an unquoted field";
    default:
      return error.message;
  }
}
