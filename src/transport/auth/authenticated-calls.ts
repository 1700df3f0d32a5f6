/**
 * Open streams with the principal they were admitted with, and the periodic check that ends
 * them when that no longer holds: every `recheckMs` (CORE_TOKEN_RECHECK_MS) the token ids of
 * open streams are read back from the tokens table, and a stream whose token was revoked (by
 * the CLI, another process) is ended with UNAUTHENTICATED. Streams opened in development mode
 * are ended the same way once a token exists, so that they reconnect with credentials.
 */
import type { EventEmitter } from "node:events";
import type { Authenticator } from "../../app/auth/authenticator.js";
import { describePrincipal, type Principal, tokenIdOf } from "../../app/auth/principal.js";
import { AppError } from "../../domain/errors.js";
import type { Logger } from "../../logger.js";
import { endCall, grpcStatusOf } from "../grpc-errors.js";

/** Ends a call with the given status, whatever its kind. */
export type EndCall = (error: AppError) => void;

interface OpenCall {
  readonly principal: Principal;
  /** How to end it; by default an 'error' event with the status (server and bidi streams). */
  readonly end: EndCall | undefined;
}

export class AuthenticatedCalls {
  private readonly calls = new Map<EventEmitter, OpenCall>();
  /** The listener that forgets a call, shared by every call (an emitter calls it as `this`). */
  private readonly forgetCall: (this: EventEmitter) => void;

  constructor() {
    const calls = this.calls;
    this.forgetCall = function (this: EventEmitter) {
      calls.delete(this);
    };
  }

  /**
   * Tracks a stream until it finishes, closes or is cancelled. Cheap per call (a core holds
   * thousands of idle plugin streams): shared listeners, and `end` only where the default does
   * not do.
   */
  add(call: EventEmitter, principal: Principal, end?: EndCall): void {
    this.calls.set(call, { principal, end });
    for (const event of ["finish", "close", "cancelled"]) call.on(event, this.forgetCall);
  }

  /** Ends every tracked call whose principal matches; returns how many. */
  endWhere(
    matches: (principal: Principal) => boolean,
    error: (principal: Principal) => AppError,
  ): number {
    let ended = 0;
    for (const [call, open] of [...this.calls]) {
      if (!matches(open.principal)) continue;
      this.calls.delete(call);
      const reason = error(open.principal);
      if (open.end) open.end(reason);
      else endCall(call, grpcStatusOf(reason));
      ended++;
    }
    return ended;
  }

  tokenIds(): number[] {
    const ids = new Set<number>();
    for (const { principal } of this.calls.values()) {
      const id = tokenIdOf(principal);
      if (id !== null) ids.add(id);
    }
    return [...ids];
  }

  hasDevelopmentCalls(): boolean {
    return [...this.calls.values()].some(({ principal }) => principal.kind === "development");
  }
}

/** One pass of the check. */
async function recheckCalls(
  authenticator: Authenticator,
  calls: AuthenticatedCalls,
  logger: Logger,
): Promise<void> {
  authenticator.pruneCache();
  const wasEnforcing = authenticator.isEnforcing;
  const enforcing = await authenticator.refreshPosture();
  if (enforcing && !wasEnforcing) {
    logger.warn("an access token exists now: development mode is over, every call needs a token");
  }
  if (enforcing && calls.hasDevelopmentCalls()) {
    const ended = calls.endWhere(
      (principal) => principal.kind === "development",
      () =>
        new AppError(
          "UNAUTHENTICATED",
          'the core requires access tokens now; reconnect with "authorization: Bearer <token>"',
        ),
    );
    logger.info({ ended }, "ended streams opened without a token");
  }
  const ids = calls.tokenIds();
  if (ids.length === 0) return;
  const invalid = await authenticator.invalidAmong(ids);
  if (invalid.size === 0) return;
  const ended = calls.endWhere(
    (principal) => invalid.has(tokenIdOf(principal) ?? -1),
    (principal) =>
      new AppError(
        "UNAUTHENTICATED",
        `${describePrincipal(principal)} was revoked; reconnect with a valid token`,
      ),
  );
  logger.info({ tokenIds: [...invalid], ended }, "ended streams of revoked tokens");
}

/** How long shutdown waits for a recheck in flight (a database outage must not hold it up). */
const stopWaitMs = 1000;

/** Runs `recheckCalls` every `authenticator.recheckMs`; the returned function stops it. */
export function startRevocationChecks(
  authenticator: Authenticator,
  calls: AuthenticatedCalls,
  logger: Logger,
): () => Promise<void> {
  let inFlight: Promise<void> | undefined;
  let stopped = false;
  const timer = setInterval(() => {
    // A pass that outlasts the interval (a slow database) is not overtaken by the next one.
    inFlight ??= recheckCalls(authenticator, calls, logger)
      .catch((error: unknown) => {
        if (!stopped) logger.warn({ err: error }, "token recheck failed");
      })
      .finally(() => {
        inFlight = undefined;
      });
  }, authenticator.recheckMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    if (!inFlight) return;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([
      inFlight,
      new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, stopWaitMs);
      }),
    ]);
    clearTimeout(timeout);
  };
}
