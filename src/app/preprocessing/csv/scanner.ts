/**
 * Splits the input into records and hands them to the router: a record without any '"' is
 * split by the delimiter byte right here (nothing else can happen in it: no quoting, no
 * embedded line break), everything else goes to csv-parse.
 *
 * Finding where a run of quoted records ends only needs the quote parity (a doubled quote
 * toggles twice): a line end outside quotes ends a record. csv-parse then parses that run and
 * is the judge of what is valid. A record that is not complete at the end of an input chunk is
 * carried into the next one; one that grows past LONG_RECORD_BYTES is streamed to csv-parse.
 */
import { parseRecords, StreamedRecords } from "./csv-library.js";
import type { RecordHandler } from "./record-handler.js";
import type { Delimiter } from "./types.js";

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const LINE_END = Buffer.from("\n");

/** A record carried over more input chunks than this is streamed to csv-parse instead. */
export const LONG_RECORD_BYTES = 1024 * 1024;
/**
 * A run of records for csv-parse goes on over quote-free records while the next quote is this
 * close: one csv-parse call costs about as much as parsing this many bytes.
 */
const MERGE_GAP_BYTES = 1024;
/**
 * Runs longer than this go through csv-parse's stream parser, which has a higher set-up cost
 * (about 70 µs instead of 30 µs) but no per-record cost for the record's context object.
 */
const STREAM_RUN_BYTES = 64 * 1024;

export class RecordScanner {
  /** Start of an incomplete record, prepended to the next chunk. */
  private carry: Buffer | undefined;
  /** A long record being streamed to csv-parse. */
  private streamed: StreamedRecords | undefined;
  private readonly streamState = { quoted: false, pendingCr: false };
  /** Offsets of the next quote and CR in `buf` (cached: -1 when there is none). */
  private readonly quotes: { buf?: Buffer; at: number } = { at: -1 };
  private readonly crs: { buf?: Buffer; at: number } = { at: -1 };

  constructor(
    private readonly router: RecordHandler,
    private readonly delimiter: Delimiter,
  ) {}

  /** Processes one chunk; the records in it are handled before it resolves. */
  async write(chunk: Buffer): Promise<void> {
    let from = 0;
    if (this.streamed !== undefined) {
      const end = recordEnd(chunk, 0, this.streamState);
      if (end === -1) {
        this.streamed.write(chunk);
        return;
      }
      this.streamed.write(chunk.subarray(0, end));
      await this.streamed.finish();
      this.streamed = undefined;
      from = end;
    }
    let buf = chunk;
    if (this.carry !== undefined) {
      // Complete the carried record with the start of this chunk (copying only that piece).
      const carry = this.carry;
      this.carry = undefined;
      const state = { quoted: false, pendingCr: false };
      recordEnd(carry, 0, state); // -1: it has no line end outside quotes, except a last CR
      const loneCr = state.pendingCr && chunk[from] !== LF;
      const end = recordEnd(chunk, from, state);
      if (end === -1) {
        this.keep(Buffer.concat([carry, chunk.subarray(from)]));
        return;
      }
      // A lone CR at the end of the carry becomes CRLF: the same line end for csv-parse.
      const piece = Buffer.concat([carry, loneCr ? LINE_END : chunk.subarray(from, end)]);
      const rest = await this.scan(piece, 0, false);
      from = end;
      if (rest < piece.length) {
        buf = Buffer.concat([piece.subarray(rest), chunk.subarray(from)]); // not expected
        from = 0;
      }
    }
    const rest = await this.scan(buf, from, false);
    if (rest < buf.length) this.keep(buf.subarray(rest));
  }

  /** Handles what is left at the end of the input. */
  async end(): Promise<void> {
    if (this.streamed !== undefined) {
      await this.streamed.finish();
      this.streamed = undefined;
    } else if (this.carry !== undefined) {
      // A last record without a line end: a LF changes nothing about it (an unclosed quote
      // stays unclosed) and lets it be scanned like any other.
      const buf = Buffer.concat([this.carry, LINE_END]);
      this.carry = undefined;
      await this.scan(buf, 0, true);
    }
  }

  private keep(tail: Buffer): void {
    if (tail.length < LONG_RECORD_BYTES) {
      this.carry = tail;
      return;
    }
    // `tail` is one record without its end (or a blank line's CR): no line end outside quotes.
    this.streamState.quoted = false;
    this.streamState.pendingCr = false;
    recordEnd(tail, 0, this.streamState);
    this.streamed = new StreamedRecords(this.delimiter, this.router);
    this.streamed.write(tail);
  }

  /**
   * Handles the complete records of `buf` from `from` on; returns the offset of the first byte
   * not handled (the start of an incomplete record), `buf.length` when all were handled. With
   * `final`, `buf` ends with a line end and everything is handled.
   */
  private async scan(buf: Buffer, from: number, final: boolean): Promise<number> {
    const router = this.router;
    const n = buf.length;
    let start = from;
    while (start < n) {
      const first = buf[start];
      if (first === LF) {
        router.blankLine();
        start++;
        continue;
      }
      if (first === CR) {
        if (start + 1 === n) return start; // maybe CRLF
        router.blankLine();
        start += buf[start + 1] === LF ? 2 : 1;
        continue;
      }
      // The record ends at the first CR or LF (CRLF, LF or a lone CR, as csv-parse splits
      // records) unless it holds a quote.
      const lf = buf.indexOf(LF, start);
      const cr = this.next(CR, buf, start);
      let end = lf;
      let next = lf + 1;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        if (cr + 1 === n) return start; // maybe CRLF
        end = cr;
        next = buf[cr + 1] === LF ? cr + 2 : cr + 1;
      } else if (lf === -1) {
        return start;
      }
      const quote = this.next(QUOTE, buf, start);
      if (quote === -1 || quote > end) {
        router.fastRecord(buf, start, end, end === lf);
        start = next;
        continue;
      }
      const runEnd = this.parsedRunEnd(buf, start, final);
      if (runEnd === -1) return start;
      const run = buf.subarray(start, runEnd);
      if (run.length < STREAM_RUN_BYTES) {
        parseRecords(run, this.delimiter, router);
      } else {
        const records = new StreamedRecords(this.delimiter, router);
        records.write(run);
        await records.finish();
      }
      start = runEnd;
    }
    return start;
  }

  /**
   * Where the run of records for csv-parse that starts at `start` (a record holding a quote)
   * ends: after its last complete record, or -1 when its first record is incomplete.
   */
  private parsedRunEnd(buf: Buffer, start: number, final: boolean): number {
    const n = buf.length;
    let quoted = false;
    let recordStart = start;
    let runEnd = -1; // after the last complete non-blank record of the run
    let i = start;
    for (; i < n; i++) {
      const b = buf[i];
      if (b === QUOTE) {
        quoted = !quoted;
      } else if (!quoted && (b === LF || b === CR)) {
        let next = i + 1;
        if (b === CR) {
          if (next === n) break; // maybe CRLF: the record is not complete yet
          if (buf[next] === LF) next++;
        }
        if (i > recordStart) runEnd = next;
        recordStart = next;
        i = next - 1;
        const quote = this.next(QUOTE, buf, next);
        if (quote === -1 || quote - next > MERGE_GAP_BYTES) break;
      }
    }
    if (final && i >= n) runEnd = n; // an unclosed quote: csv-parse reports it
    return runEnd;
  }

  /** Offset of the next `byte` (QUOTE or CR) in `buf` from `from` on, or -1. */
  private next(byte: number, buf: Buffer, from: number): number {
    const found = byte === QUOTE ? this.quotes : this.crs;
    if (buf !== found.buf || (found.at !== -1 && found.at < from)) {
      found.buf = buf;
      found.at = buf.indexOf(byte, from);
    }
    return found.at;
  }
}

/**
 * Continues the quote-parity scan of a record over `buf` from `from`: returns the offset after
 * the record's line end (CRLF, LF or lone CR outside quotes), or -1 when `buf` ends first.
 */
function recordEnd(buf: Buffer, from: number, state: { quoted: boolean; pendingCr: boolean }) {
  if (buf.length === from) return -1;
  if (state.pendingCr) {
    state.pendingCr = false;
    return buf[from] === LF ? from + 1 : from;
  }
  for (let i = from; i < buf.length; i++) {
    const b = buf[i];
    if (b === QUOTE) state.quoted = !state.quoted;
    else if (state.quoted) continue;
    else if (b === LF) return i + 1;
    else if (b === CR) {
      if (i + 1 === buf.length) {
        state.pendingCr = true;
        return -1;
      }
      return buf[i + 1] === LF ? i + 2 : i + 1;
    }
  }
  return -1;
}
