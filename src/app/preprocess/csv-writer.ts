/** Writes records as CSV (',' delimiter, LF line ends) to a sink in chunks of about 256 KiB. */
import { type Options, stringify } from "csv-stringify/sync";
import type { ChunkSink } from "./types.js";

export const OUTPUT_CHUNK_BYTES = 256 * 1024;
/** Records are stringified in batches of this many (one csv-stringify call per batch). */
const BATCH_RECORDS = 128;

/**
 * Collects records synchronously (`add`) and hands complete chunks to the sink when `flush`
 * is awaited; the caller flushes after each input chunk, so at most about one input chunk's
 * worth of output is held in memory.
 */
export class ChunkedCsvWriter {
  private options: Options = {};
  private batch: string[][] = [];
  private parts: string[] = [];
  private partsBytes = 0;
  private ready: Buffer[] = [];

  constructor(private readonly sink: ChunkSink) {}

  /** Sets the columns and writes the header line; call once, before `add`. */
  writeHeader(columns: readonly string[]): void {
    this.options = {
      delimiter: ",",
      record_delimiter: "unix",
      quote_record_delimiter: true, // also quote values holding a lone CR
      eof: true,
      // With a single column an empty value would be a blank line, which readers skip.
      quoted_empty: columns.length === 1,
    };
    this.append(stringify([columns.slice()], this.options));
  }

  add(record: string[]): void {
    this.batch.push(record);
    if (this.batch.length >= BATCH_RECORDS) this.stringifyBatch();
  }

  /** Writes the complete chunks collected so far, one at a time (the sink's backpressure). */
  async flush(): Promise<void> {
    if (this.ready.length === 0) return;
    const chunks = this.ready;
    this.ready = [];
    for (const chunk of chunks) await this.sink.write(chunk);
  }

  /** Writes everything, including the last, shorter chunk. */
  async end(): Promise<void> {
    this.stringifyBatch();
    if (this.partsBytes > 0) this.seal();
    await this.flush();
  }

  private stringifyBatch(): void {
    if (this.batch.length === 0) return;
    const text = stringify(this.batch, this.options);
    this.batch = [];
    this.append(text);
  }

  private append(text: string): void {
    this.parts.push(text);
    this.partsBytes += Buffer.byteLength(text);
    if (this.partsBytes >= OUTPUT_CHUNK_BYTES) this.seal();
  }

  private seal(): void {
    this.ready.push(Buffer.from(this.parts.join("")));
    this.parts = [];
    this.partsBytes = 0;
  }
}
