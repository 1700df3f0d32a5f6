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
  if (isCanonicalShape(text)) return readCanonical(text);
  const m = timestampPattern.exec(text.trim());
  if (!m) return undefined;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const [offsetHours, offsetMins] = [Number(m[10]), Number(m[11] ?? 0)];
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  return instant(
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4] ?? 0),
    Number(m[5] ?? 0),
    Number(m[6] ?? 0),
    Number((m[7] ?? "").slice(0, 3).padEnd(3, "0")),
    offsetMinutes,
  );
}

/**
 * True for `????-??-??T??:??:??.???Z`, the form formatTimestamp writes (and many logs hold):
 * read by readCanonical, without the regex, since the training set's cells are read again and
 * again by the rules. A text of this shape that reads as a timestamp is its own canonical form
 * (formatTimestamp gives it back unchanged).
 */
export function isCanonicalShape(text: string): boolean {
  return (
    text.length === 24 &&
    text.charCodeAt(23) === 0x5a && // Z
    text.charCodeAt(10) === 0x54 && // T
    text.charCodeAt(4) === 0x2d &&
    text.charCodeAt(7) === 0x2d &&
    text.charCodeAt(13) === 0x3a &&
    text.charCodeAt(16) === 0x3a &&
    text.charCodeAt(19) === 0x2e
  );
}

function readCanonical(text: string): number | undefined {
  const century = twoDigitsAt(text, 0);
  const yearOfCentury = twoDigitsAt(text, 2);
  const month = twoDigitsAt(text, 5);
  const day = twoDigitsAt(text, 8);
  const hour = twoDigitsAt(text, 11);
  const minute = twoDigitsAt(text, 14);
  const second = twoDigitsAt(text, 17);
  const centis = twoDigitsAt(text, 20);
  const lastDigit = text.charCodeAt(22) - 0x30;
  if ((century | yearOfCentury | month | day | hour | minute | second | centis) < 0) {
    return undefined;
  }
  if (lastDigit < 0 || lastDigit > 9) return undefined;
  const year = century * 100 + yearOfCentury;
  return instant(year, month, day, hour, minute, second, centis * 10 + lastDigit, 0);
}

/** The number written by the two decimal digits at `from`; -1 when one is not a digit. */
function twoDigitsAt(text: string, from: number): number {
  const tens = text.charCodeAt(from) - 0x30;
  const ones = text.charCodeAt(from + 1) - 0x30;
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1;
}

/** Epoch milliseconds of a calendar date and time at an offset; undefined when out of range. */
function instant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
  offsetMinutes: number,
): number | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const minutes = daysFromCivil(year, month, day) * 1440 + hour * 60 + minute - offsetMinutes;
  return minutes * 60_000 + second * 1000 + millis;
}

const MS_PER_DAY = 86_400_000;
/** Years 0000 to 9999, the ones written with four digits. */
const FIRST_DAY = daysFromCivil(0, 1, 1);
const LAST_DAY = daysFromCivil(9999, 12, 31);
const twoDigits = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, "0"));

/**
 * UTC ISO 8601 with milliseconds: `2011-10-01T00:38:44.546Z`, as Date's toISOString writes it,
 * assembled here for years 0000–9999 (about four times faster: every timestamp of a training
 * set is written by it).
 */
export function formatTimestamp(ms: number): string {
  const day = Math.floor(ms / MS_PER_DAY);
  if (!Number.isInteger(ms) || day < FIRST_DAY || day > LAST_DAY) {
    return new Date(ms).toISOString();
  }
  const [year, month, dayOfMonth] = civilFromDays(day);
  let rest = ms - day * MS_PER_DAY;
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const millis = rest - second * 1000;
  return (
    `${twoDigits[Math.floor(year / 100)]}${twoDigits[year % 100]}-${twoDigits[month]}-` +
    `${twoDigits[dayOfMonth]}T${twoDigits[hour]}:${twoDigits[minute]}:${twoDigits[second]}.` +
    `${twoDigits[Math.floor(millis / 10)]}${millis % 10}Z`
  );
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

/** The proleptic Gregorian date `days` after 1970-01-01 (H. Hinnant's civil_from_days). */
function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear =
    dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153); // March = 0
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
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
