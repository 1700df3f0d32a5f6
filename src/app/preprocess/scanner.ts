/**
 * Splits the input into records and hands them to the router: a record without any '"' is
 * split by the delimiter byte right here (nothing else can happen in it: no quoting, no
 * embedded line break), everything else goes to csv-parse (csv-library.ts).
 *
 * Finding where a run of quoted records ends only needs the quote parity (a doubled quote
 * toggles twice): a line end outside quotes ends a record. csv-parse then parses that run and
 * is the judge of what is valid. Records that are not complete at the end of an input chunk are
 * carried into the next one; one that grows past LONG_RECORD_BYTES is streamed to csv-parse.
 */
import { parseRecords, StreamedRecord } from "./csv-library.js";
import { INCOMPLETE, NEEDS_PARSER, type RecordRouter } from "./records.js";
import type { Delimiter } from "./types.js";

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const FINAL_LINE_END = Buffer.from("\n");

/** A record carried over more input chunks than this is streamed to csv-parse instead. */
export const LONG_RECORD_BYTES = 1024 * 1024;
/**
 * A run of records for csv-parse goes on over quote-free records while the next quote is this
 * close: one csv-parse call costs about as much as parsing this many bytes.
 */
const MERGE_GAP_BYTES = 1024;

export class RecordScanner {
  /** Start of an incomplete record, prepended to the next chunk. */
  private carry: Buffer | undefined;
  /** A long record being streamed to csv-parse. */
  private streamed: StreamedRecord | undefined;
  private readonly streamState = { quoted: false, pendingCr: false };
  /** Offset of the next quote in `quoteBuf` (cached: -1 when there is none). */
  private quoteBuf: Buffer | undefined;
  private quoteAt = -1;

  constructor(
    private readonly router: RecordRouter,
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
      buf = Buffer.concat([this.carry, chunk.subarray(from)]);
      this.carry = undefined;
      from = 0;
    }
    const rest = this.scan(buf, from, false);
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
      const buf = Buffer.concat([this.carry, FINAL_LINE_END]);
      this.carry = undefined;
      this.scan(buf, 0, true);
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
    this.streamed = new StreamedRecord(this.delimiter, this.router);
    this.streamed.write(tail);
  }

  /**
   * Handles the complete records of `buf` from `from` on; returns the offset of the first byte
   * not handled (the start of an incomplete record), `buf.length` when all were handled. With
   * `final`, `buf` ends with a line end and everything is handled.
   */
  private scan(buf: Buffer, from: number, final: boolean): number {
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
      const lf = buf.indexOf(LF, start);
      const next = router.fastRecord(buf, start, lf === -1 ? n : lf, lf !== -1);
      if (next === INCOMPLETE) return start;
      if (next !== NEEDS_PARSER) {
        start = next;
        continue;
      }
      const end = this.parsedRun(buf, start, final);
      if (end === -1) return start;
      start = end;
    }
    return start;
  }

  /**
   * Has csv-parse parse the run of records starting at `start` (which holds a quote); returns
   * the offset after the run, or -1 when its first record is incomplete.
   */
  private parsedRun(buf: Buffer, start: number, final: boolean): number {
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
        const quote = this.nextQuote(buf, next);
        if (quote === -1 || quote - next > MERGE_GAP_BYTES) break;
      }
    }
    if (final && i >= n) runEnd = n; // an unclosed quote: csv-parse reports it
    if (runEnd === -1) return -1;
    parseRecords(buf.subarray(start, runEnd), this.delimiter, this.router);
    return runEnd;
  }

  private nextQuote(buf: Buffer, from: number): number {
    if (buf !== this.quoteBuf || (this.quoteAt !== -1 && this.quoteAt < from)) {
      this.quoteBuf = buf;
      this.quoteAt = buf.indexOf(QUOTE, from);
    }
    return this.quoteAt;
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
