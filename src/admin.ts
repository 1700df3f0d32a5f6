/**
 * The core's public module for the `training-core` command's local duties, the ones that do not
 * go through the gRPC API: token administration in the database, the health check's reading of
 * the core's settings and TLS files, running the core (`serve`), and reading an event log file
 * as preprocessing does (`stream` posts its events under the training file's column names). The
 * CLI imports nothing else of the core. knex, the drivers, the readers and the core itself load
 * only when a duty needs them, so the other commands start without them.
 */
import type { CreatedToken, NewToken } from "./app/auth/token-admin.js";
import { loadConfig } from "./config.js";
import type { TokenRow } from "./store/sql/tokens.js";

export { hostOf, isLoopbackHost } from "./app/auth/posture.js";
export { ConfigError, loadConfig } from "./config.js";
export { AppError, type ErrorCode } from "./domain/errors.js";
export { readTimestamp } from "./domain/event-log/index.js";
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

/** A CSV or XES file that cannot be read as an event log; the message says why (and where). */
export class EventLogFileError extends Error {
  override readonly name = "EventLogFileError";
}

/** An event log file's columns and rows (cells in `columns` order, "" where a value lacks). */
export interface EventLogFile {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/**
 * Reads a CSV or XES file (plain or gzip, told by its content) with the readers preprocessing
 * uses, so its columns are named as in a training file of that file: a CSV's header; for XES,
 * `case:<key>` for a trace attribute (the case id is `case:concept:name`) and an event
 * attribute's key as written. Throws EventLogFileError for a file that cannot be read.
 */
export async function readEventLogFile(path: string): Promise<EventLogFile> {
  const [{ createReadStream }, { readEventLogRows }, { DatasetError }, { CompressedFileError }] =
    await Promise.all([
      import("node:fs"),
      import("./app/preprocessing/event-log-rows.js"),
      import("./app/preprocessing/csv/errors.js"),
      import("./app/preprocessing/dataset-source.js"),
    ]);
  let columns: readonly string[] = [];
  const rows: string[][] = [];
  try {
    await readEventLogRows(() => createReadStream(path), {
      header: (names) => {
        columns = [...names];
      },
      row: (cells) => {
        rows.push([...cells]);
      },
      flush: async () => {},
      end: async () => {},
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const rejected = error instanceof DatasetError || error instanceof CompressedFileError;
    if (rejected || typeof code === "string") {
      throw new EventLogFileError((error as Error).message);
    }
    throw error;
  }
  return { columns, rows };
}
