/**
 * Streaming UTF-8 stage: strips a leading BOM, validates the bytes (a multi-byte character may
 * be split across source chunks), counts lines for error messages, and re-chunks the input into
 * pieces of 64 KiB .. 1 MiB so that the parser neither sees tiny writes nor huge ones.
 */
import { isUtf8 } from "node:buffer";
import { DatasetError, excerptEndingAt } from "./errors.js";

const MIN_CHUNK = 64 * 1024;
const MAX_CHUNK = 1024 * 1024;
const LF = 0x0a;

/** Counters shared with the caller (read for progress reports). */
export interface ReadStats {
  /** Bytes taken from the source so far (including a BOM). */
  bytes: number;
}

/**
 * Yields the source as validated UTF-8 Buffers without the BOM; every yielded chunk ends on a
 * character boundary. Invalid UTF-8 throws a DatasetError giving the line; the valid bytes
 * before the bad sequence are yielded first so that earlier problems are reported first.
 * Chunks from the source must not be modified after they have been yielded.
 */
export async function* validUtf8Chunks(
  source: AsyncIterable<Uint8Array>,
  stats: ReadStats,
): AsyncGenerator<Buffer, void, undefined> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let atStart = true;
  let lfsBefore = 0; // LFs in the bytes validated so far: the line of byte n is 1 + LFs before it
  let offset = 0; // file offset of the next byte to validate

  function* release(final: boolean): Generator<Buffer, void, undefined> {
    let buf = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (atStart) {
      atStart = false;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        buf = buf.subarray(3);
        offset = 3;
      }
    }
    const tail = final ? 0 : incompleteTailLength(buf);
    const body = tail === 0 ? buf : buf.subarray(0, buf.length - tail);
    if (tail > 0) {
      pending.push(buf.subarray(buf.length - tail));
      pendingBytes = tail;
    }
    if (!isUtf8(body)) {
      const bad = firstInvalidUtf8(body);
      if (bad > 0) yield* slices(body.subarray(0, bad));
      throw invalidUtf8Error(body, bad, lfsBefore, offset);
    }
    lfsBefore += countLf(body, 0, body.length);
    offset += body.length;
    yield* slices(body);
  }

  for await (const part of source) {
    if (part.byteLength === 0) continue;
    stats.bytes += part.byteLength;
    pending.push(
      Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength),
    );
    pendingBytes += part.byteLength;
    if (pendingBytes >= MIN_CHUNK) yield* release(false);
  }
  if (pendingBytes > 0) yield* release(true);
}

function* slices(buf: Buffer): Generator<Buffer, void, undefined> {
  // Cutting inside a character is fine here: the parser works on bytes.
  for (let start = 0; start < buf.length; start += MAX_CHUNK) {
    yield buf.subarray(start, Math.min(buf.length, start + MAX_CHUNK));
  }
}

function invalidUtf8Error(buf: Buffer, bad: number, lfsBefore: number, offset: number) {
  const line = lfsBefore + 1 + countLf(buf, 0, bad);
  const lineStart = buf.lastIndexOf(LF, bad - 1) + 1; // 0 when the line began in an earlier chunk
  const before = bad > 0 ? buf.toString("utf8", lineStart, bad) : "";
  const byte = (buf[bad] as number).toString(16).padStart(2, "0");
  return new DatasetError(
    line,
    `invalid UTF-8 byte sequence (byte 0x${byte} at offset ${offset + bad})`,
    excerptEndingAt(before),
  );
}

export function countLf(buf: Buffer, from: number, to: number): number {
  let count = 0;
  let at = buf.indexOf(LF, from);
  while (at !== -1 && at < to) {
    count++;
    at = buf.indexOf(LF, at + 1);
  }
  return count;
}

/**
 * Length (1..3) of an incomplete multi-byte sequence at the end of `buf`, to be completed by
 * the next chunk; 0 when `buf` ends on a character boundary. Invalid bytes are left to the
 * validator.
 */
export function incompleteTailLength(buf: Uint8Array): number {
  const n = buf.length;
  for (let k = 1; k <= 3 && k <= n; k++) {
    const b = buf[n - k] as number;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return length > k ? k : 0;
  }
  return 0;
}

/** Offset of the first byte that does not start a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let more: number;
    let lo = 0x80;
    let hi = 0xbf; // allowed range of the second byte
    if (b >= 0xc2 && b <= 0xdf) more = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      more = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      more = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    if (i + more >= n) return i; // truncated
    const b1 = buf[i + 1] as number;
    if (b1 < lo || b1 > hi) return i;
    for (let k = 2; k <= more; k++) {
      if (((buf[i + k] as number) & 0xc0) !== 0x80) return i;
    }
    i += more + 1;
  }
  return -1;
}
