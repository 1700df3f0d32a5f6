/**
 * Writes CSV (',' delimiter, LF line ends) to a sink in chunks of exactly 256 KiB (the last one
 * shorter). Records arrive either as fields (quoted here as needed) or as raw byte ranges of the
 * input that are already valid output (copied as they are, consecutive ranges in one copy).
 */
import type { ChunkSink } from "./types.js";

export const OUTPUT_CHUNK_BYTES = 256 * 1024;
/**
 * The first chunk's buffer; it grows (doubling) to OUTPUT_CHUNK_BYTES only if the output does.
 * A tiny file's two writers then hold kilobytes: 256 KiB each per project, dead at once, made V8
 * run full collections every few small projects.
 */
const FIRST_BUFFER_BYTES = 16 * 1024;
const LF = 0x0a;
const COMMA = 0x2c;
const NEEDS_QUOTES = /[",\r\n]/;
/** Written chunks kept for reuse: one input chunk's worth of output. */
const MAX_SPARE = 8;

/** A field as CSV: quoted iff it holds ',', '"', CR or LF, with quotes doubled. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * Collects output synchronously and hands complete chunks to the sink when `flush` is awaited;
 * the caller flushes after each input chunk, so at most about one input chunk's worth of output
 * is held in memory. A chunk boundary may fall inside a record: the sink stores a byte stream.
 */
export class ChunkedCsvWriter {
  private out = Buffer.allocUnsafe(FIRST_BUFFER_BYTES);
  private used = 0;
  private ready: Buffer[] = [];
  /** Chunks the sink has finished with, reused by `seal`. */
  private readonly spare: Buffer<ArrayBuffer>[] = [];
  /** Pending raw range (not copied yet, so that adjacent ranges are copied at once). */
  private runSource: Buffer | undefined;
  private runStart = 0;
  private runEnd = 0;
  /** With a single column an empty value must be quoted, or it would be a blank line. */
  private singleColumn = false;

  constructor(private readonly sink: ChunkSink) {}

  /** Writes the header line; call once, before any record. */
  writeHeader(columns: readonly string[]): void {
    this.singleColumn = columns.length === 1;
    this.add(columns);
  }

  /** Writes a record given as fields. */
  add(record: readonly string[]): void {
    if (this.singleColumn && record.length === 1 && record[0] === "") {
      this.appendText('""\n');
      return;
    }
    let line = "";
    for (let i = 0; i < record.length; i++) {
      if (i > 0) line += ",";
      line += csvField(record[i] as string);
    }
    this.appendText(`${line}\n`);
  }

  /** Writes `text`: records already written as CSV, each with its LF. */
  addLines(text: string): void {
    this.appendText(text);
  }

  /** Writes `source[start, end)` as it is: one or more complete output lines (LF included). */
  addRaw(source: Buffer, start: number, end: number): void {
    if (source === this.runSource && start === this.runEnd) {
      this.runEnd = end;
      return;
    }
    this.copyRun();
    this.runSource = source;
    this.runStart = start;
    this.runEnd = end;
  }

  /** Writes `source[start, end)`, a record that needs no quoting, and a LF. */
  addRawLine(source: Buffer, start: number, end: number): void {
    this.copyRun();
    this.copyIn(source, start, end);
    this.out[this.used++] = LF;
    if (this.used === OUTPUT_CHUNK_BYTES) this.seal();
  }

  /**
   * Writes `source[start, end)`, a record without quotes, CR, LF or ',' whose delimiter is the
   * (ASCII) byte `delimiter`, with ',' as delimiter, and a LF.
   */
  addWithDelimiter(source: Buffer, start: number, end: number, delimiter: number): void {
    this.copyRun();
    const length = end - start;
    if (length >= OUTPUT_CHUNK_BYTES - this.used) {
      const text = source.toString("utf8", start, end);
      this.appendText(`${text.replaceAll(String.fromCharCode(delimiter), ",")}\n`);
      return;
    }
    const out = this.out;
    const from = this.used;
    source.copy(out, from, start, end);
    for (let i = from; i < from + length; i++) if (out[i] === delimiter) out[i] = COMMA;
    this.used += length;
    out[this.used++] = LF;
    if (this.used === OUTPUT_CHUNK_BYTES) this.seal();
  }

  /** Writes the complete chunks collected so far, one at a time (the sink's backpressure). */
  async flush(): Promise<void> {
    this.copyRun();
    if (this.ready.length === 0) return;
    const chunks = this.ready;
    this.ready = [];
    for (const chunk of chunks) {
      await this.sink.write(chunk);
      // The sink is done with it (see ChunkSink): fill it again rather than make garbage.
      if (chunk.length === OUTPUT_CHUNK_BYTES && this.spare.length < MAX_SPARE) {
        this.spare.push(chunk as Buffer<ArrayBuffer>);
      }
    }
  }

  /** Writes everything, including the last, shorter chunk. */
  async end(): Promise<void> {
    this.copyRun();
    if (this.used > 0) {
      this.ready.push(this.out.subarray(0, this.used));
      this.out = Buffer.allocUnsafe(0);
      this.used = 0;
    }
    await this.flush();
  }

  private appendText(text: string): void {
    this.copyRun();
    const mostBytes = text.length * 3;
    if (mostBytes <= OUTPUT_CHUNK_BYTES - this.used) {
      this.makeRoom(mostBytes);
      this.used += this.out.write(text, this.used);
      if (this.used === OUTPUT_CHUNK_BYTES) this.seal();
      return;
    }
    const bytes = Buffer.from(text);
    this.copyIn(bytes, 0, bytes.length);
  }

  /** Grows the chunk being filled (at most to OUTPUT_CHUNK_BYTES) to take `bytes` more. */
  private makeRoom(bytes: number): void {
    const needed = this.used + bytes;
    if (needed <= this.out.length) return;
    const grown = Buffer.allocUnsafe(
      Math.min(OUTPUT_CHUNK_BYTES, Math.max(needed, 2 * this.out.length)),
    );
    this.out.copy(grown, 0, 0, this.used);
    this.out = grown;
  }

  private copyRun(): void {
    if (this.runSource === undefined) return;
    const source = this.runSource;
    this.runSource = undefined;
    this.copyIn(source, this.runStart, this.runEnd);
  }

  private copyIn(source: Buffer, start: number, end: number): void {
    while (start < end) {
      const n = Math.min(end - start, OUTPUT_CHUNK_BYTES - this.used);
      this.makeRoom(n);
      source.copy(this.out, this.used, start, start + n);
      this.used += n;
      start += n;
      if (this.used === OUTPUT_CHUNK_BYTES) this.seal();
    }
  }

  private seal(): void {
    this.ready.push(this.out);
    this.out = this.spare.pop() ?? Buffer.allocUnsafe(OUTPUT_CHUNK_BYTES);
    this.used = 0;
  }
}
