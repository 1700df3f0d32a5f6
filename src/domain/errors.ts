/** The outcomes a caller can act on; the transport maps each to the gRPC status of that name. */
export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "PERMISSION_DENIED"
  | "UNAUTHENTICATED"
  | "FAILED_PRECONDITION"
  | "RESOURCE_EXHAUSTED"
  | "UNAVAILABLE"
  | "DATA_LOSS"
  | "INTERNAL";

/** The only error whose message reaches clients; anything else is logged and hidden. */
export class AppError extends Error {
  override readonly name = "AppError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const unavailableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "08000",
  "08003",
  "08006",
  "SQLITE_BUSY",
]);

/** True for errors that mean "the database cannot be reached right now": worth a retry. */
export function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "KnexTimeoutError") return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && unavailableCodes.has(code)) return true;
  return /Connection terminated|connection is closed|not queryable|Client was closed/i.test(
    error.message,
  );
}

/** Turns any thrown value into an AppError; unknown errors become INTERNAL with the cause kept. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isStoreUnavailable(error)) {
    return new AppError("UNAVAILABLE", "the database is unavailable; try again", { cause: error });
  }
  return new AppError("INTERNAL", "internal error", { cause: error });
}
