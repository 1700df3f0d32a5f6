/**
 * One streaming pass over a CSV file: UTF-8 validation → delimiter detection (from the header
 * line) → record scanning, each record handed to a RecordHandler. The legacy pipeline and the
 * event-log reader differ only in their handler.
 *
 * Backpressure: the loop takes one input chunk (64 KiB .. 1 MiB), lets the scanner process it,
 * then awaits the handler's `flush` of the output it produced before reading on, so memory stays
 * bounded by a few chunks plus whatever the handler keeps.
 */
import { detectDelimiter, headerLineEnd, MAX_HEADER_BYTES } from "./delimiter.js";
import { emptyFileError } from "./errors.js";
import { type Progress, progressReporter } from "./progress-reports.js";
import type { RecordHandler } from "./record-handler.js";
import { RecordScanner } from "./scanner.js";
import type { Delimiter } from "./types.js";
import { type ReadStats, validUtf8Chunks } from "./utf8.js";

/** A RecordHandler that a pass drives to the end of its input. */
export interface CsvPassHandler extends RecordHandler {
  /** Data rows so far. */
  readonly rowCount: number;
  /** Checks what only the end of the input tells (a header, data rows); throws DatasetError. */
  finish(): void;
  /** Hands on the output of the input read so far (awaited before reading on). */
  flush(): Promise<void>;
  /** Writes what remains, after `finish`. */
  end(): Promise<void>;
}

export interface CsvPass<H> {
  readonly handler: H;
  readonly delimiter: Delimiter;
  /** Bytes read from the source (including a BOM). */
  readonly bytes: number;
}

/** Reads `source` to its end through the handler made for its delimiter. */
export async function scanCsv<H extends CsvPassHandler>(
  source: AsyncIterable<Uint8Array>,
  handlerFor: (delimiter: Delimiter) => H,
  onProgress?: (progress: Progress) => void,
): Promise<CsvPass<H>> {
  const stats: ReadStats = { bytes: 0 };
  const chunks = validUtf8Chunks(source, stats);
  try {
    const head = await readHeaderLine(chunks);
    if (head === undefined) throw emptyFileError();
    const end = headerLineEnd(head);
    const delimiter = detectDelimiter(end === -1 ? head : head.subarray(0, end));
    const handler = handlerFor(delimiter);
    const scanner = new RecordScanner(handler, delimiter);
    const progress = progressReporter(onProgress, () => ({
      rows: handler.rowCount,
      bytes: stats.bytes,
    }));
    let chunk: Buffer | undefined = head;
    while (chunk !== undefined) {
      await scanner.write(chunk);
      await handler.flush();
      progress(false);
      const next: IteratorResult<Buffer> = await chunks.next();
      chunk = next.done ? undefined : next.value;
    }
    await scanner.end();
    handler.finish();
    await handler.end();
    progress(true);
    return { handler, delimiter, bytes: stats.bytes };
  } finally {
    await chunks.return(undefined); // closes the source when we stop early
  }
}

/**
 * Reads until the header line is complete (a line break outside quotes), the file ends, or
 * MAX_HEADER_BYTES are buffered; returns everything read, or undefined for an empty input.
 */
async function readHeaderLine(chunks: AsyncIterator<Buffer>): Promise<Buffer | undefined> {
  let head: Buffer | undefined;
  for (;;) {
    const next = await chunks.next();
    if (next.done) return head;
    head = head === undefined ? next.value : Buffer.concat([head, next.value]);
    if (head.length >= MAX_HEADER_BYTES || headerLineEnd(head) !== -1) return head;
  }
}
