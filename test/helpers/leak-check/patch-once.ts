// Wraps a method or function once per worker: vitest may run several test files in one process,
// and each runs the setup file again.
const wrapped = Symbol.for("training-core.leak-check.wrapped");

/**
 * Replaces `owner[key]` with `wrap(original)` unless an earlier call already did; returns the
 * state the first call created, so every file of the worker shares one tracker.
 */
export function patchOnce<T extends object, K extends keyof T, S>(
  owner: T,
  key: K,
  create: () => S,
  wrap: (original: T[K], state: S) => T[K],
): S {
  const current = owner[key] as T[K] & { [wrapped]?: S };
  const existing = current[wrapped];
  if (existing !== undefined) return existing;
  const state = create();
  const replacement = wrap(owner[key], state) as T[K] & { [wrapped]?: S };
  Object.defineProperty(replacement, wrapped, { value: state });
  owner[key] = replacement;
  return state;
}
