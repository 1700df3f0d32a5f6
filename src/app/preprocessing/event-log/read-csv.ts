/**
 * Reads a CSV event log into an EventRowSink with the CSV pipeline's own stages: UTF-8
 * validation, delimiter detection, the record scanner (quote-free records split in place, the
 * rest parsed by csv-parse), its line counting and its error messages. The sink is flushed after
 * every input chunk (64 KiB .. 1 MiB), so its output keeps pace with the input.
 */
import { detectDelimiter, headerLineEnd } from "../csv/delimiter.js";
import { emptyFileError } from "../csv/errors.js";
import { readHeaderLine } from "../csv/preprocess.js";
import { type Progress, progressReporter } from "../csv/progress-reports.js";
import { RecordScanner } from "../csv/scanner.js";
import type { Delimiter } from "../csv/types.js";
import { type ReadStats, validUtf8Chunks } from "../csv/utf8.js";
import { CsvRowRouter } from "./csv-row-router.js";
import type { EventRowSink } from "./event-rows.js";

export interface CsvReadOptions {
  /** Called about every 64k rows or 8 MiB read, and once at the end. */
  readonly onProgress?: (progress: Progress) => void;
}

export interface CsvReadSummary {
  /** Data rows (the header and blank lines excluded). */
  readonly rows: number;
  /** Bytes read from the source (including a BOM). */
  readonly bytes: number;
  readonly delimiter: Delimiter;
}

/** Reads `source` to its end into `sink`; throws DatasetError for an invalid file. */
export async function readCsvEventLog(
  source: AsyncIterable<Uint8Array>,
  sink: EventRowSink,
  options: CsvReadOptions = {},
): Promise<CsvReadSummary> {
  const stats: ReadStats = { bytes: 0 };
  const chunks = validUtf8Chunks(source, stats);
  try {
    const head = await readHeaderLine(chunks);
    if (head === undefined) throw emptyFileError();
    const end = headerLineEnd(head);
    const delimiter = detectDelimiter(end === -1 ? head : head.subarray(0, end));
    const router = new CsvRowRouter(sink, delimiter);
    const scanner = new RecordScanner(router, delimiter);
    const progress = progressReporter(options.onProgress, () => ({
      rows: router.rowCount,
      bytes: stats.bytes,
    }));
    let chunk: Buffer | undefined = head;
    while (chunk !== undefined) {
      await scanner.write(chunk);
      await sink.flush();
      progress(false);
      const next: IteratorResult<Buffer> = await chunks.next();
      chunk = next.done ? undefined : next.value;
    }
    await scanner.end();
    router.finish();
    await sink.end();
    progress(true);
    return { rows: router.rowCount, bytes: stats.bytes, delimiter };
  } finally {
    await chunks.return(undefined); // closes the source when we stop early
  }
}
