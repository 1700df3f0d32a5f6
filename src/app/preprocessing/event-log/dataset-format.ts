/**
 * Which reader a dataset needs, from its first bytes.
 *
 * The rule: when the bytes start with the gzip magic (1f 8b), look at the start of the
 * decompressed content instead and add `+gzip`. Then skip an optional UTF-8 byte order mark and
 * any whitespace (space, tab, CR, LF): a `<` (an XML declaration or a `<log>` element) means
 * `xes`, anything else (or nothing) `csv`. A CSV whose first column name starts with `<` would
 * be taken for XES; the XES reader then reports that it is not well-formed XML.
 */
import { constants, gunzipSync } from "node:zlib";
import type { DatasetFormat } from "./event-rows.js";

/** Compressed bytes inflated to find the first character: deflate expands at most ~1000×. */
const GZIP_PROBE_BYTES = 4096;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The format of a dataset whose first bytes are `head`: a KiB or more (a gzip stream shows no
 * content before its first few hundred bytes), or the whole file if it is smaller.
 */
export function detectFormat(head: Uint8Array): DatasetFormat {
  if (!isGzip(head)) return startsLikeXml(head) ? "xes" : "csv";
  return startsLikeXml(inflatedStart(head)) ? "xes+gzip" : "csv+gzip";
}

/** True when the first character after a BOM and whitespace is `<`. */
export function startsLikeXml(bytes: Uint8Array): boolean {
  let at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (at < bytes.length && isXmlSpace(bytes[at] as number)) at++;
  return bytes[at] === 0x3c;
}

function isXmlSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a;
}

/** The start of the decompressed content; a cut or corrupt stream gives what inflated before. */
function inflatedStart(head: Uint8Array): Buffer {
  try {
    // SYNC_FLUSH: a head cut in the middle of the stream inflates as far as it goes.
    return gunzipSync(head.subarray(0, GZIP_PROBE_BYTES), {
      finishFlush: constants.Z_SYNC_FLUSH,
    });
  } catch {
    // Not decompressible: the CSV path reports it (CompressedFileError) with the whole file.
    return Buffer.alloc(0);
  }
}
