/**
 * Turns what a caller presents (the `authorization` metadata, a verified client certificate)
 * into a Principal, against the tokens table.
 *
 * Modes:
 * - development: the tokens table is empty. Calls without credentials get the development
 *   principal. Whether a token exists yet is re-read at most every `recheckMs`, so a token made
 *   with the CLI while the core runs ends this mode within that time (or at once, when a call
 *   presents it).
 * - enforcing: a token exists (revoked ones count). Every call needs a valid token, or a client
 *   certificate (mutual TLS) whose common name is the plugin key. The mode never goes back.
 *
 * Token rows are cached by hash for at most `recheckMs`, so revoking a token (from another
 * process, through the database) refuses new calls within that time; open streams are checked
 * by the periodic revocation check of open calls.
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import {
  anyTokenExists,
  findTokenByHash,
  invalidTokenIds,
  type TokenRow,
} from "../../store/sql/tokens.js";
import { isPluginKey } from "../plugins/online-report-checks.js";
import { developmentPrincipal, type Principal } from "./principal.js";
import { hashToken, sameHash, tokenKindOf } from "./token-format.js";

export interface PresentedCredentials {
  /** Every value of the `authorization` metadata (normally none or one). */
  readonly authorization: readonly string[];
  /** The common name of a client certificate the TLS layer verified (mutual TLS). */
  readonly certificateName: string | undefined;
}

const maxCachedTokens = 10_000;
const createHint =
  "create one with `training-core token create --consumer` or `training-core token create --plugin KEY`";

function unauthenticated(message: string): AppError {
  return new AppError("UNAUTHENTICATED", message);
}

export interface AuthenticatorDeps {
  readonly db: Knex;
  /** How stale a cached answer may be: CORE_TOKEN_RECHECK_MS. */
  readonly recheckMs: number;
  /** The clock; tests move their own. Default: Date.now. */
  readonly now?: () => number;
}

export class Authenticator {
  private readonly db: Knex;
  /** How stale a cached answer may be: CORE_TOKEN_RECHECK_MS. */
  readonly recheckMs: number;
  private readonly now: () => number;
  private enforcing = false;
  private postureReadMs = Number.NEGATIVE_INFINITY;
  private postureRead: Promise<boolean> | undefined;
  private readonly cache = new Map<string, { row: TokenRow; readMs: number }>();

  constructor(deps: AuthenticatorDeps) {
    this.db = deps.db;
    this.recheckMs = deps.recheckMs;
    this.now = deps.now ?? Date.now;
  }

  /** True once any token exists: from then on every call needs credentials. */
  get isEnforcing(): boolean {
    return this.enforcing;
  }

  /** Reads whether any token exists (concurrent callers share one query); true once enforcing. */
  refreshPosture(): Promise<boolean> {
    if (this.enforcing) return Promise.resolve(true);
    this.postureRead ??= anyTokenExists(this.db)
      .then((exists) => {
        this.postureReadMs = this.now();
        if (exists) this.enforcing = true;
        return this.enforcing;
      })
      .finally(() => {
        this.postureRead = undefined;
      });
    return this.postureRead;
  }

  async authenticate(credentials: PresentedCredentials): Promise<Principal> {
    if (credentials.authorization.length > 1) {
      throw unauthenticated("send one authorization metadata entry, not several");
    }
    const header = credentials.authorization[0];
    if (header !== undefined) return this.principalOfToken(bearerTokenOf(header));
    if (!this.enforcing && this.now() - this.postureReadMs >= this.recheckMs) {
      await this.refreshPosture();
    }
    if (!this.enforcing) return developmentPrincipal;
    if (credentials.certificateName !== undefined) {
      return principalOfCertificate(credentials.certificateName);
    }
    throw unauthenticated(
      `this call needs an access token: send the metadata "authorization: Bearer <token>" (${createHint})`,
    );
  }

  /** The token ids among `ids` that are revoked or gone; forgets their cached rows. */
  async invalidAmong(ids: readonly number[]): Promise<Set<number>> {
    const invalid = await invalidTokenIds(this.db, ids);
    if (invalid.size > 0) {
      for (const [hash, entry] of this.cache)
        if (invalid.has(entry.row.id)) this.cache.delete(hash);
    }
    return invalid;
  }

  /** Drops cached rows older than `recheckMs`. */
  pruneCache(): void {
    const oldest = this.now() - this.recheckMs;
    for (const [hash, entry] of this.cache) if (entry.readMs <= oldest) this.cache.delete(hash);
  }

  private async principalOfToken(token: string): Promise<Principal> {
    const claimed = tokenKindOf(token);
    if (!claimed) {
      throw unauthenticated(
        "the bearer token is not a Training Core token (they start with tcp_ or tcc_); check what the client sends",
      );
    }
    const hash = hashToken(token);
    const row = await this.tokenRow(hash);
    if (!row || !sameHash(row.hash, hash) || row.kind !== claimed) {
      throw unauthenticated(
        "the bearer token is not known to this core: check that it was created for this core's database (`training-core token list`)",
      );
    }
    // A token presented and found: tokens exist, whatever the posture cache says.
    this.enforcing = true;
    if (row.revoked_ms !== null) {
      throw unauthenticated(
        `token ${row.id} was revoked at ${new Date(row.revoked_ms).toISOString()}; ${createHint}`,
      );
    }
    if (row.kind === "consumer") return { kind: "consumer", tokenId: row.id };
    return { kind: "plugin", key: row.plugin_key ?? "", tokenId: row.id };
  }

  private async tokenRow(hash: string): Promise<TokenRow | undefined> {
    const cached = this.cache.get(hash);
    const nowMs = this.now();
    if (cached && nowMs - cached.readMs < this.recheckMs) return cached.row;
    const row = await findTokenByHash(this.db, hash);
    this.cache.delete(hash);
    if (row) {
      if (this.cache.size >= maxCachedTokens) this.pruneCache();
      if (this.cache.size >= maxCachedTokens) this.cache.clear();
      this.cache.set(hash, { row, readMs: nowMs });
    }
    return row;
  }
}

function bearerTokenOf(header: string): string {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) {
    throw unauthenticated(`the authorization metadata must be "Bearer <token>" (${createHint})`);
  }
  return match[1];
}

function principalOfCertificate(commonName: string): Principal {
  if (!isPluginKey(commonName)) {
    throw unauthenticated(
      `no bearer token was sent, and the client certificate's common name ${JSON.stringify(commonName.slice(0, 50))} is not a plugin key (1 to 200 characters from [A-Za-z0-9._:-])`,
    );
  }
  return { kind: "plugin", key: commonName, tokenId: null };
}
