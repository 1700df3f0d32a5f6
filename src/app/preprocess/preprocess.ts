/**
 * Dataset preprocessing as one streaming pass: UTF-8 validation → delimiter detection →
 * csv-parse → validation and case split (synchronously, per record) → two chunked CSV writers.
 *
 * Backpressure: the loop takes one input chunk (64 KiB .. 1 MiB), lets the parser process it
 * synchronously, then awaits the sink writes of the output it produced before reading on, so
 * memory stays bounded by a few chunks plus the case map (one entry per distinct case).
 */
import { Parser } from "csv-parse";
import { detectDelimiter, headerLineEnd, MAX_HEADER_BYTES } from "./delimiter.js";
import { emptyFileError } from "./errors.js";
import { MAX_RECORD_CHARS, RecordRouter } from "./records.js";
import type { ChunkSink, PreprocessOptions, PreprocessSummary } from "./types.js";
import { type ReadStats, validUtf8Chunks } from "./utf8.js";

const PROGRESS_ROWS = 64 * 1024;
const PROGRESS_BYTES = 8 * 1024 * 1024;

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
    const router = new RecordRouter(options.caseIdColumn ?? "", fraction, delimiter, sinks);
    const parser = new RecordParser(delimiter, router);
    let reported = { rows: 0, bytes: 0 };
    const progress = (final: boolean): void => {
      const rows = router.rowCount;
      const due =
        final ||
        rows - reported.rows >= PROGRESS_ROWS ||
        stats.bytes - reported.bytes >= PROGRESS_BYTES;
      if (!options.onProgress || !due) return;
      reported = { rows, bytes: stats.bytes };
      options.onProgress({ ...reported });
    };

    let chunk: Buffer | undefined = head;
    while (chunk !== undefined) {
      parser.write(chunk); // parsed synchronously: the router sees the records before it returns
      while (parser.writableLength > 0 && !parser.errored) await nextTurn(); // not expected
      if (parser.errored) throw router.parseFailure(parser.errored);
      await router.flush();
      progress(false);
      const next: IteratorResult<Buffer> = await chunks.next();
      chunk = next.done ? undefined : next.value;
    }
    await endParser(parser).catch((error: unknown) => {
      throw router.parseFailure(error);
    });
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
async function readHeaderLine(chunks: AsyncIterator<Buffer>): Promise<Buffer | undefined> {
  let head: Buffer | undefined;
  for (;;) {
    const next = await chunks.next();
    if (next.done) return head;
    head = head === undefined ? next.value : Buffer.concat([head, next.value]);
    if (head.length >= MAX_HEADER_BYTES || headerLineEnd(head) !== -1) return head;
  }
}

/**
 * csv-parse's stream parser, taking each record synchronously as the parser emits it: a
 * Transform emits its output through `push`, and csv-parse does so while parsing the chunk
 * given to `write`, so `info` (empty line count, line count) is current for that record. This
 * avoids a promise per row (async iteration) and the per-record context object of `on_record`
 * (about 10% of the run time), and the records never queue up in the readable buffer. The line
 * number tests would catch a csv-parse version that pushed records later.
 */
class RecordParser extends Parser {
  constructor(
    delimiter: string,
    private readonly router: RecordRouter,
  ) {
    super({
      delimiter,
      quote: '"',
      escape: '"',
      record_delimiter: ["\r\n", "\n", "\r"], // mixed line ends are fine
      relax_quotes: false,
      relax_column_count: true, // checked by the router, with a better message
      skip_empty_lines: true,
      max_record_size: MAX_RECORD_CHARS,
    });
    this.on("error", () => {}); // errors are read from `errored`
    this.resume(); // only the end is pushed, but the readable side must still end
  }

  override push(record: unknown): boolean {
    if (record === null) return super.push(null);
    this.router.handle(record as string[], this.info);
    return true;
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function endParser(parser: Parser): Promise<void> {
  return new Promise((resolve, reject) => {
    if (parser.errored) {
      reject(parser.errored);
      return;
    }
    parser.once("error", reject);
    parser.once("finish", () => {
      parser.off("error", reject);
      if (parser.errored) reject(parser.errored);
      else resolve();
    });
    parser.end();
  });
}
