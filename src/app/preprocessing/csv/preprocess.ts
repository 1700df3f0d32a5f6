/**
 * Dataset preprocessing as one streaming pass: UTF-8 validation → delimiter detection →
 * record scanning (quote-free records split in place, the rest parsed by csv-parse) →
 * validation and case split (synchronously, per record) → two chunked CSV writers.
 *
 * Backpressure: the loop takes one input chunk (64 KiB .. 1 MiB), lets the scanner process it,
 * then awaits the sink writes of the output it produced before reading on, so memory stays
 * bounded by a few chunks plus the case map (one entry per distinct case).
 */
import { detectDelimiter, headerLineEnd, MAX_HEADER_BYTES } from "./delimiter.js";
import { emptyFileError } from "./errors.js";
import { progressReporter } from "./progress-reports.js";
import { RecordRouter } from "./records.js";
import { RecordScanner } from "./scanner.js";
import type { ChunkSink, PreprocessOptions, PreprocessSummary } from "./types.js";
import { type ReadStats, validUtf8Chunks } from "./utf8.js";

export async function preprocessDataset(
  source: AsyncIterable<Uint8Array>,
  options: PreprocessOptions,
  sinks: { training: ChunkSink; holdout: ChunkSink },
): Promise<PreprocessSummary> {
  const fraction = options.holdoutFraction;
  if (typeof fraction !== "number" || !(fraction >= 0 && fraction < 1)) {
    throw new RangeError(`holdoutFraction must be in [0, 1), got ${String(fraction)}`);
  }
  const stats: ReadStats = { bytes: 0 };
  const chunks = validUtf8Chunks(source, stats);
  try {
    const head = await readHeaderLine(chunks);
    if (head === undefined) throw emptyFileError();
    const end = headerLineEnd(head);
    const delimiter = detectDelimiter(end === -1 ? head : head.subarray(0, end));
    const router = new RecordRouter({
      caseIdColumn: options.caseIdColumn ?? "",
      holdoutFraction: fraction,
      delimiter,
      sinks,
    });
    const scanner = new RecordScanner(router, delimiter);
    const progress = progressReporter(options.onProgress, () => ({
      rows: router.rowCount,
      bytes: stats.bytes,
    }));

    let chunk: Buffer | undefined = head;
    while (chunk !== undefined) {
      await scanner.write(chunk);
      await router.flush();
      progress(false);
      const next: IteratorResult<Buffer> = await chunks.next();
      chunk = next.done ? undefined : next.value;
    }
    await scanner.end();
    router.finish();
    await router.end();
    progress(true);
    return router.summary();
  } finally {
    await chunks.return(undefined); // closes the source when we stop early
  }
}

/**
 * Reads until the header line is complete (a line break outside quotes), the file ends, or
 * MAX_HEADER_BYTES are buffered; returns everything read, or undefined for an empty input.
 */
export async function readHeaderLine(chunks: AsyncIterator<Buffer>): Promise<Buffer | undefined> {
  let head: Buffer | undefined;
  for (;;) {
    const next = await chunks.next();
    if (next.done) return head;
    head = head === undefined ? next.value : Buffer.concat([head, next.value]);
    if (head.length >= MAX_HEADER_BYTES || headerLineEnd(head) !== -1) return head;
  }
}
