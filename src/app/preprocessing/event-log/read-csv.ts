/**
 * Reads a CSV event log into an EventRowSink with the CSV pipeline's own stages: UTF-8
 * validation, delimiter detection, the record scanner (quote-free records split in place, the
 * rest parsed by csv-parse), its line counting and its error messages. The sink is flushed after
 * every input chunk (64 KiB .. 1 MiB), so its output keeps pace with the input.
 */
import type { Progress } from "../csv/progress-reports.js";
import { scanCsv } from "../csv/scan-csv.js";
import type { Delimiter } from "../csv/types.js";
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
  const pass = await scanCsv(
    source,
    (delimiter) => new CsvRowRouter(sink, delimiter),
    options.onProgress,
  );
  return { rows: pass.handler.rowCount, bytes: pass.bytes, delimiter: pass.delimiter };
}
