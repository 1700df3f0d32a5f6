/**
 * Strict readers for cell and condition values. Surrounding whitespace is ignored and a cell
 * that is empty (or only whitespace) is a missing value (null); anything else either reads
 * exactly or fails with `cannot read "v" as a …`. No lenient fallbacks such as Date.parse.
 *
 * - Timestamps: ISO 8601 calendar dates, `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.f…]]` with `T` or a
 *   space, then `Z`, `±HH:MM`, `±HHMM`, `±HH` or nothing (then UTC); fractions past
 *   milliseconds are cut off. Read as epoch milliseconds.
 * - Numbers: optional sign, digits with `.` decimals, optional exponent; no thousands separators.
 * - Booleans: true/false, 1/0, yes/no, in any case.
 * - Durations: a number of seconds, or a number with a unit (`3 days`, `1.5 h`, `30min`);
 *   read as seconds. Months and years are refused: their length varies.
 */
import type { ValueType } from "./column-definition.js";

export type Parsed<T> =
  | { readonly ok: true; readonly value: T | null }
  | { readonly ok: false; readonly problem: string };

const typeNames: Readonly<Record<ValueType, string>> = {
  text: "text",
  categorical: "a category",
  number: "a number",
  duration: "a duration",
  boolean: "a boolean",
  timestamp: "a timestamp",
};

/** The message for a value that does not read as `type`. */
export function cannotRead(text: string, type: ValueType): string {
  return `cannot read ${JSON.stringify(text)} as ${typeNames[type]}`;
}

const timestampPattern = new RegExp(
  "^(\\d{4})-(\\d{2})-(\\d{2})" + // date
    "(?:[Tt ](\\d{2}):(\\d{2})(?::(\\d{2})(?:[.,](\\d+))?)?" + // time; seconds, fraction optional
    "(?:([Zz])|([+-])(\\d{2})(?::?(\\d{2}))?)?)?$", // offset, only after a time
);

/** Epoch milliseconds of an ISO 8601 timestamp, or undefined when `text` is not one. */
export function readTimestamp(text: string): number | undefined {
  const m = timestampPattern.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const millis = Number((m[7] ?? "").slice(0, 3).padEnd(3, "0"));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const [offsetHours, offsetMins] = [Number(m[10]), Number(m[11] ?? 0)];
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const minutes = daysFromCivil(year, month, day) * 1440 + hour * 60 + minute - offsetMinutes;
  return minutes * 60_000 + second * 1000 + millis;
}

/** UTC ISO 8601 with milliseconds: `2011-10-01T00:38:44.546Z`. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString();
}

const numberPattern = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number `text` writes, or undefined when it is not a finite decimal number. */
export function readNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (!numberPattern.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

const booleans: ReadonlyMap<string, boolean> = new Map([
  ["true", true],
  ["yes", true],
  ["1", true],
  ["false", false],
  ["no", false],
  ["0", false],
]);

export function readBoolean(text: string): boolean | undefined {
  return booleans.get(text.trim().toLowerCase());
}

const secondsPerUnit: ReadonlyMap<string, number> = new Map([
  ...unitNames(0.001, "ms", "msec", "msecs", "millisecond", "milliseconds"),
  ...unitNames(1, "s", "sec", "secs", "second", "seconds"),
  ...unitNames(60, "m", "min", "mins", "minute", "minutes"),
  ...unitNames(3600, "h", "hr", "hrs", "hour", "hours"),
  ...unitNames(86_400, "d", "day", "days"),
  ...unitNames(604_800, "w", "wk", "wks", "week", "weeks"),
]);

const durationPattern = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)$/;

/** Seconds of a duration (`90`, `3 days`, `1.5 h`), or undefined when `text` is not one. */
export function readDuration(text: string): number | undefined {
  const m = durationPattern.exec(text.trim());
  if (!m) return undefined;
  const amount = Number(m[1]);
  const unit = m[2] === "" ? 1 : secondsPerUnit.get((m[2] ?? "").toLowerCase());
  if (unit === undefined || !Number.isFinite(amount)) return undefined;
  return amount * unit;
}

export function parseTimestamp(text: string): Parsed<number> {
  return parsed(text, "timestamp", readTimestamp);
}

export function parseNumber(text: string): Parsed<number> {
  return parsed(text, "number", readNumber);
}

export function parseBoolean(text: string): Parsed<boolean> {
  return parsed(text, "boolean", readBoolean);
}

export function parseDuration(text: string): Parsed<number> {
  return parsed(text, "duration", readDuration);
}

/** True for an empty cell, which stands for a missing value whatever the column's type. */
export function isMissing(text: string): boolean {
  return text.trim() === "";
}

function parsed<T>(
  text: string,
  type: ValueType,
  read: (text: string) => T | undefined,
): Parsed<T> {
  if (isMissing(text)) return { ok: true, value: null };
  const value = read(text);
  if (value === undefined) return { ok: false, problem: cannotRead(text, type) };
  return { ok: true, value };
}

function unitNames(seconds: number, ...names: string[]): [string, number][] {
  return names.map((name) => [name, seconds]);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100);
  return era * 146_097 + dayOfEra + dayOfYear - 719_468;
}
