/**
 * The text of an access token: a kind prefix (`tcp_` plugin, `tcc_` consumer, easy to grep for
 * in logs and repositories) and 32 random bytes in base64url. Only the SHA-256 of the whole text
 * is stored: a 256-bit secret needs no salt or slow hash, as it cannot be guessed.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { TokenKind } from "../../store/sql/tokens.js";

const prefixes: Record<TokenKind, string> = { plugin: "tcp_", consumer: "tcc_" };
const secretBytes = 32;
/** Prefix, then the base64url of 32 bytes (43 characters, no padding). */
const shape = /^tc([pc])_[A-Za-z0-9_-]{43}$/;

export interface IssuedToken {
  /** Shown once, never stored. */
  readonly token: string;
  readonly hash: string;
}

export function issueToken(kind: TokenKind): IssuedToken {
  const token = prefixes[kind] + randomBytes(secretBytes).toString("base64url");
  return { token, hash: hashToken(token) };
}

/** Lower-case hex SHA-256 of the token text. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** The kind a well-formed token claims by its prefix; undefined for anything else. */
export function tokenKindOf(token: string): TokenKind | undefined {
  const match = shape.exec(token);
  if (!match) return undefined;
  return match[1] === "p" ? "plugin" : "consumer";
}

/** Compares two hex hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, "hex");
  const right = Buffer.from(b, "hex");
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}
