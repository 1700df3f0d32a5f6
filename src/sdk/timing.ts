/** Delays: exponential backoff with full jitter, abortable sleeps, bounded waits. */
import type { ReconnectOptions } from "./types.js";

/** A random delay in [0, min(max, initial * 2^attempt)) ("full jitter"). */
export function jitteredDelay(
  options: ReconnectOptions,
  attempt: number,
  random: () => number = Math.random,
): number {
  const cap = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 52));
  return Math.floor(random() * cap);
}

/** Successive delays between attempts; `reset` after a success. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly options: ReconnectOptions,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    return jitteredDelay(this.options, this.attempt++, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Waits for `promise` at most `ms`; true when it settled in time (its rejection is ignored). */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise that resolves when `signal` aborts (at once if it already did). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true }),
  );
}
