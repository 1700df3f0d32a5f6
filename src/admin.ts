/**
 * The core's public module for the `training-core` command's local duties, the ones that do not
 * go through the gRPC API: token administration in the database, the health check's reading of
 * the core's settings and TLS files, and running the core (`serve`). The CLI imports nothing else
 * of the core. knex, the drivers and the core itself load only when a duty needs them, so the
 * other commands start without them.
 */
import type { CreatedToken, NewToken } from "./app/auth/token-admin.js";
import { loadConfig } from "./config.js";
import type { TokenRow } from "./store/sql/tokens.js";

export { hostOf, isLoopbackHost } from "./app/auth/posture.js";
export { ConfigError, loadConfig } from "./config.js";
export { AppError, type ErrorCode } from "./domain/errors.js";
export type { TokenKind, TokenRow } from "./store/sql/tokens.js";
export { pemMarkers, readPem } from "./transport/auth/credentials.js";
export type { CreatedToken, NewToken };

/** Token administration on one open database; `close` when done. */
export interface TokenAdmin {
  create(request: NewToken, nowMs: number): Promise<CreatedToken>;
  /** Every token, revoked ones included (never the secret). */
  list(): Promise<TokenRow[]>;
  /** Revokes a token (again: no change); the row afterwards. Throws NOT_FOUND if absent. */
  revoke(id: number, nowMs: number): Promise<TokenRow>;
  close(): Promise<void>;
}

/** The URL of CORE_DATABASE_URL (or its default); throws ConfigError when it is not valid. */
export function databaseUrlOf(env: NodeJS.ProcessEnv): string {
  return loadConfig({ CORE_DATABASE_URL: env.CORE_DATABASE_URL }).databaseUrl;
}

/**
 * Opens the database at `url` (bringing its schema up to date) for token administration. A
 * running core reads the same table, so changes take effect there without a restart.
 */
export async function openTokenAdmin(url: string): Promise<TokenAdmin> {
  const [{ openStore }, tokens] = await Promise.all([
    import("./store/connect.js"),
    import("./app/auth/token-admin.js"),
  ]);
  const store = await openStore(url);
  return {
    create: (request, nowMs) => tokens.createToken(store.db, request, nowMs),
    list: () => tokens.listAllTokens(store.db),
    revoke: (id, nowMs) => tokens.revokeTokenById(store.db, id, nowMs),
    close: () => store.close(),
  };
}

/** Runs the core until SIGTERM/SIGINT, as `npm start` does; returns once it listens. */
export async function serve(env: NodeJS.ProcessEnv): Promise<void> {
  const core = await import("./main.js");
  await core.serve(env);
}
