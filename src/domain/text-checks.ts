/**
 * True when `text` holds U+0000, which PostgreSQL text columns cannot store: such input is
 * refused up front (INVALID_ARGUMENT) on every database alike.
 */
export function hasNul(text: string): boolean {
  return text.includes("\u0000");
}
