/** Detection of the field delimiter from the header line. */
import type { Delimiter } from "./types.js";

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const TAB = 0x09;

/** The header line is looked for in at most this many bytes. */
export const MAX_HEADER_BYTES = 1024 * 1024;

/**
 * Offset of the first line break (CR or LF) outside double quotes, i.e. the end of the header
 * line, or -1 when `buf` does not contain one yet.
 */
export function headerLineEnd(buf: Uint8Array): number {
  let quoted = false;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === QUOTE)
      quoted = !quoted; // a doubled quote toggles twice
    else if (!quoted && (b === LF || b === CR)) return i;
  }
  return -1;
}

/**
 * The delimiter occurring most often outside quotes in the header line (`buf` is the header
 * line, or the start of the file when it has no line break). Ties prefer comma, then
 * semicolon, then tab; a header without any of them (a single column) gives comma.
 */
export function detectDelimiter(buf: Uint8Array): Delimiter {
  let quoted = false;
  let commas = 0;
  let semicolons = 0;
  let tabs = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === QUOTE) quoted = !quoted;
    else if (quoted) continue;
    else if (b === COMMA) commas++;
    else if (b === SEMICOLON) semicolons++;
    else if (b === TAB) tabs++;
    else if (b === LF || b === CR) break;
  }
  if (commas >= semicolons && commas >= tabs) return ",";
  return semicolons >= tabs ? ";" : "\t";
}
