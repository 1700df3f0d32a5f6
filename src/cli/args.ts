/**
 * Parsers for option and argument values. They throw commander's InvalidArgumentError, so a bad
 * value is reported like any other usage error (exit 2).
 */
import { InvalidArgumentError } from "commander";

function integer(value: string, min: number, what: string): number {
  const parsed = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min) {
    throw new InvalidArgumentError(`expected ${what}`);
  }
  return parsed;
}

/** A project id: a positive whole number. */
export function parseId(value: string): number {
  return integer(value, 1, "a project id (a positive whole number)");
}

/** A page size: a positive whole number (the core caps it at 500). */
export function parsePageSize(value: string): number {
  return integer(value, 1, "a positive whole number");
}

/** An event id cursor: 0 or a positive whole number. */
export function parseEventId(value: string): number {
  return integer(value, 0, "an event id (0 or a positive whole number)");
}

/** A duration in seconds; 0 means no deadline. */
export function parseSeconds(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0) {
    throw new InvalidArgumentError("expected a number of seconds (0: no deadline)");
  }
  return parsed;
}

/** The holdout fraction; its range, [0, 1), is checked by the core. */
export function parseFraction(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed)) {
    throw new InvalidArgumentError("expected a number such as 0.2");
  }
  return parsed;
}

/** One `--param` / `--info` value: `KEY.name=value`. */
export interface PluginSetting {
  readonly key: string;
  readonly name: string;
  readonly value: unknown;
}

/**
 * Parses `KEY.name=value`. The name is what follows the last dot before `=` (plugin keys may
 * contain dots, names may not). The value is JSON when it parses as JSON (numbers, booleans,
 * null, arrays, objects, "quoted strings"), otherwise the text as it is.
 */
export function parsePluginSetting(text: string): PluginSetting {
  const equals = text.indexOf("=");
  const left = equals < 0 ? "" : text.slice(0, equals);
  const dot = left.lastIndexOf(".");
  const key = left.slice(0, Math.max(dot, 0));
  const name = dot < 0 ? "" : left.slice(dot + 1);
  if (equals < 0 || key === "" || name === "") {
    throw new InvalidArgumentError(
      `expected KEY.name=value (e.g. knn.k=5), got ${JSON.stringify(text)}`,
    );
  }
  return { key, name, value: parseValue(text.slice(equals + 1)) };
}

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Accumulates a repeatable option's parsed values. */
export function collect<T>(parse: (value: string) => T) {
  return (value: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(value)];
}

/** Groups settings into the per-plugin maps of CreateProjectRequest; a later value wins. */
export function settingsByPlugin(
  settings: readonly PluginSetting[],
): Record<string, Record<string, unknown>> {
  const byKey: Record<string, Record<string, unknown>> = {};
  for (const { key, name, value } of settings) {
    byKey[key] = { ...byKey[key], [name]: value };
  }
  return byKey;
}
