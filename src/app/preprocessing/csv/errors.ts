/** A problem with the dataset itself (as opposed to I/O or programming errors). */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
  /** 1-based physical line of the file (the header is line 1). */
  readonly line: number;
  /** A short piece of the offending line or record ('' when there is none). */
  readonly excerpt: string;

  constructor(line: number, detail: string, excerpt = "") {
    super(`line ${line}: ${detail}${excerpt ? ` (excerpt: ${JSON.stringify(excerpt)})` : ""}`);
    this.line = line;
    this.excerpt = excerpt;
  }
}

const EXCERPT_CHARS = 40;

/** The start of `text`, cut to about 40 characters with a trailing ellipsis. */
export function excerptOf(text: string, max = EXCERPT_CHARS): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // do not split a surrogate pair
  return `${text.slice(0, end)}…`;
}

/** The end of `text`, cut to about 40 characters with a leading ellipsis. */
export function excerptEndingAt(text: string, max = EXCERPT_CHARS): string {
  if (text.length <= max) return text;
  let start = text.length - max;
  const first = text.charCodeAt(start);
  if (first >= 0xdc00 && first <= 0xdfff) start++; // do not split a surrogate pair
  return `…${text.slice(start)}`;
}

export function emptyFileError(): DatasetError {
  return new DatasetError(1, "the file is empty (no header line)");
}

/** A record with another number of fields than the header; `text` is the record. */
export function fieldCountError(
  line: number,
  expected: number,
  found: number,
  text: string,
): DatasetError {
  return new DatasetError(line, `expected ${expected} fields, found ${found}`, excerptOf(text));
}

export function noDataRowsError(headerLine: number): DatasetError {
  return new DatasetError(headerLine, "the file has a header but no data rows");
}

/** A row whose case id is empty; `text` is the row. */
export function emptyCaseIdError(line: number, caseColumn: string, text: string): DatasetError {
  return new DatasetError(
    line,
    `empty case id in column ${JSON.stringify(caseColumn)}`,
    excerptOf(text),
  );
}
