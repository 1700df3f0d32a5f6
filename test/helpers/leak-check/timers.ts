// Every setTimeout/setInterval of this worker with where it was set, so that one still pending
// and keeping the loop alive at the end of a file can be named.
import { promisify } from "node:util";
import { patchOnce } from "./patch-once.js";

interface TimerState {
  readonly pending: Set<NodeJS.Timeout>;
  readonly setAt: WeakMap<NodeJS.Timeout, Error>;
}

/** Forget fired and cleared timers once this many were set since the last sweep. */
const sweepEvery = 1000;

/** Node's own flag: set once a timer fired (and will not repeat) or was cleared. */
const isDone = (timer: NodeJS.Timeout) =>
  (timer as NodeJS.Timeout & { _destroyed?: boolean })._destroyed === true;

/** Starts tracking (once per worker); returns the timers that may still fire. */
export function trackTimers(): TimerState {
  const state = patchOnce(globalThis, "setTimeout", newState, wrapTimer);
  patchOnce(globalThis, "setInterval", () => state, wrapTimer);
  return state;
}

function newState(): TimerState {
  return { pending: new Set(), setAt: new WeakMap() };
}

function wrapTimer<F extends typeof setTimeout | typeof setInterval>(
  original: F,
  state: TimerState,
): F {
  let sinceSweep = 0;
  const wrapper = function (this: unknown, ...args: Parameters<F>) {
    const timer = (original as (...a: unknown[]) => NodeJS.Timeout).apply(this, args);
    const site = new Error("set at");
    Error.captureStackTrace(site, wrapper);
    state.setAt.set(timer, site);
    state.pending.add(timer);
    if (++sinceSweep >= sweepEvery) {
      sinceSweep = 0;
      for (const t of state.pending) if (isDone(t)) state.pending.delete(t);
    }
    return timer;
  };
  // setTimeout's promise form (util.promisify) must keep working.
  const custom = (original as { [promisify.custom]?: unknown })[promisify.custom];
  if (custom) Object.defineProperty(wrapper, promisify.custom, { value: custom });
  return wrapper as unknown as F;
}

/** The tracked timers that will still fire and keep the loop alive until they do. */
export function liveTimers(state: TimerState): NodeJS.Timeout[] {
  return [...state.pending].filter((t) => !isDone(t) && t.hasRef());
}

export function describeTimer(state: TimerState, timer: NodeJS.Timeout): string {
  const interval = (timer as NodeJS.Timeout & { _repeat?: number | null })._repeat;
  const idle = (timer as NodeJS.Timeout & { _idleTimeout?: number })._idleTimeout;
  const kind = interval ? `setInterval(${interval} ms)` : `setTimeout(${idle} ms)`;
  const frames = (state.setAt.get(timer)?.stack ?? "").split("\n").slice(1, 4);
  return `${kind} still pending, set\n${frames.map((f) => `      ${f.trim()}`).join("\n")}`;
}
