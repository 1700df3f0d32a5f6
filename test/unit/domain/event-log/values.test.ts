import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cannotRead,
  formatTimestamp,
  isCanonicalShape,
  isMissing,
  parseBoolean,
  parseDuration,
  parseNumber,
  parseTimestamp,
  readBoolean,
  readDuration,
  readNumber,
  readTimestamp,
} from "../../../../src/domain/event-log/values.js";

const at = (iso: string) => new Date(iso).getTime();

describe("readTimestamp", () => {
  it.each([
    ["2011-10-01T00:38:44.546Z", "2011-10-01T00:38:44.546Z"],
    ["2011-10-01T02:38:44.546+02:00", "2011-10-01T00:38:44.546Z"],
    ["2011-10-01T02:38:44+02:00", "2011-10-01T00:38:44.000Z"],
    ["2011-09-30T21:38:44-03:00", "2011-10-01T00:38:44.000Z"],
    ["2011-10-01T05:38:44+0500", "2011-10-01T00:38:44.000Z"],
    ["2011-10-01T05:38:44+05", "2011-10-01T00:38:44.000Z"],
    ["2011-10-01", "2011-10-01T00:00:00.000Z"],
    ["2011-10-01T00:38", "2011-10-01T00:38:00.000Z"],
    ["2011-10-01 00:38:44", "2011-10-01T00:38:44.000Z"],
    ["2011-10-01 00:38:44.5", "2011-10-01T00:38:44.500Z"],
    ["2011-10-01 00:38:44.546", "2011-10-01T00:38:44.546Z"],
    ["2011-10-11 13:45:40.276000+02:00", "2011-10-11T11:45:40.276Z"],
    ["2011-10-11 13:45:40.276999+02:00", "2011-10-11T11:45:40.276Z"],
    ["2011-10-11 13:45:40,276+02:00", "2011-10-11T11:45:40.276Z"],
    ["2011-10-01t00:38:44z", "2011-10-01T00:38:44.000Z"],
    ["  2011-10-01T00:38:44Z  ", "2011-10-01T00:38:44.000Z"],
    ["2012-02-29T12:00:00Z", "2012-02-29T12:00:00.000Z"],
    ["2000-02-29", "2000-02-29T00:00:00.000Z"],
    ["1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"],
    ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"],
    ["9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"],
  ])("reads %j as %s", (text, expected) => {
    const instant = readTimestamp(text);
    expect(instant).toBeDefined();
    expect(formatTimestamp(instant as number)).toBe(expected);
  });

  it.each([
    "1",
    "2011",
    "2011-10",
    "20111001",
    "2011-1-01",
    "2011-10-1",
    "11-10-01",
    "2011/10/01",
    "01.10.2011",
    "Oct 1, 2011",
    "2011-10-01T",
    "2011-10-01T00",
    "2011-10-01T0:38:44",
    "2011-10-01T00:38:4",
    "2011-10-01T00:38:44.",
    "2011-10-01Z",
    "2011-10-01+02:00",
    "2011-13-01",
    "2011-00-10",
    "2011-10-00",
    "2011-10-32",
    "2011-02-29",
    "1900-02-29",
    "2011-04-31",
    "2011-10-01T24:00:00",
    "2011-10-01T23:60:00",
    "2011-10-01T23:59:60",
    "2011-10-01T00:38:44+2:00",
    "2011-10-01T00:38:44+24:00",
    "2011-10-01T00:38:44+02:60",
    "2011-10-01T00:38:44 +02:00",
    "2011-10-01T00:38:44ZZ",
    "2011-10-01  00:38:44",
    "",
    "not a date",
  ])("refuses %j", (text) => {
    expect(readTimestamp(text)).toBeUndefined();
  });

  it("agrees with Date.UTC on every valid calendar instant", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("0100-01-01"), max: new Date("9999-12-31"), noInvalidDate: true }),
        (date) => {
          expect(readTimestamp(date.toISOString())).toBe(date.getTime());
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("reads the same instant written with any offset as the same number", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: at("1990-01-01"), max: at("2040-01-01") }),
        fc.integer({ min: -14 * 60, max: 14 * 60 }),
        (ms, offsetMinutes) => {
          expect(readTimestamp(withOffset(ms, offsetMinutes))).toBe(ms);
        },
      ),
    );
  });
});

/** `ms` written as local time at `offsetMinutes` east of UTC, with that offset. */
function withOffset(ms: number, offsetMinutes: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, "0");
  const mm = String(abs % 60).padStart(2, "0");
  return `${local}${sign}${hh}:${mm}`;
}

describe("formatTimestamp", () => {
  it("gives back a timestamp of the canonical shape unchanged (the reader keeps such cells)", () => {
    const pad = (n: number, width: number) => String(n).padStart(width, "0");
    let read = 0;
    fc.assert(
      fc.property(
        fc.tuple(
          fc.integer({ min: 0, max: 9999 }),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 1, max: 31 }),
          fc.integer({ min: 0, max: 23 }),
          fc.integer({ min: 0, max: 59 }),
          fc.integer({ min: 0, max: 59 }),
          fc.integer({ min: 0, max: 999 }),
        ),
        ([y, mo, d, h, mi, s, ms]) => {
          const text = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`;
          expect(isCanonicalShape(text)).toBe(true);
          const instant = readTimestamp(text);
          if (instant !== undefined) {
            read++;
            expect(formatTimestamp(instant)).toBe(text);
          }
        },
      ),
      { numRuns: 5000 },
    );
    expect(read).toBeGreaterThan(4000); // only days past a month's end do not read
    expect(formatTimestamp(readTimestamp("2024-02-29T23:59:59.999Z") as number)).toBe(
      "2024-02-29T23:59:59.999Z",
    );
    expect(readTimestamp("2023-02-29T00:00:00.000Z")).toBeUndefined();
    expect(isCanonicalShape("2011-10-01T00:38:44.546+00:00")).toBe(false);
  });

  it("writes UTC ISO 8601 with milliseconds", () => {
    expect(formatTimestamp(at("2011-10-01T00:38:44.546Z"))).toBe("2011-10-01T00:38:44.546Z");
    expect(formatTimestamp(0)).toBe("1970-01-01T00:00:00.000Z");
  });

  it("writes what Date's toISOString writes, within and beyond years 0000-9999", () => {
    const edges = [at("0000-01-01T00:00:00Z"), at("9999-12-31T23:59:59.999Z"), -1, 8.64e15];
    for (const ms of [...edges, ...edges.map((ms) => ms - 1), ...edges.map((ms) => ms + 1)]) {
      if (Math.abs(ms) <= 8.64e15) expect(formatTimestamp(ms)).toBe(new Date(ms).toISOString());
    }
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(formatTimestamp(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: at("0000-01-01T00:00:00Z"), max: at("9999-12-31T23:59:59.999Z") }),
        (ms) => {
          expect(formatTimestamp(ms)).toBe(new Date(ms).toISOString());
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("readTimestamp on the canonical form", () => {
  /** `YYYY-MM-DDTHH:MM:SS.mmmZ` from any digits, valid or not as a date. */
  const canonicalShape = fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      ...[99, 99, 99, 99, 99].map((max) => fc.integer({ min: 0, max })),
      fc.integer({ min: 0, max: 999 }),
    )
    .map((parts) => {
      const [year, month, day, hour, minute, second, millis] = parts as number[] as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const two = (n: number) => String(n).padStart(2, "0");
      return {
        parts: { year, month, day, hour, minute, second, millis },
        text: `${String(year).padStart(4, "0")}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}.${String(millis).padStart(3, "0")}Z`,
      };
    });

  it("reads a valid instant exactly, and nothing else", () => {
    fc.assert(
      fc.property(canonicalShape, ({ parts, text }) => {
        const date = new Date(0);
        date.setUTCFullYear(parts.year, parts.month - 1, parts.day);
        date.setUTCHours(parts.hour, parts.minute, parts.second, parts.millis);
        const valid =
          date.getUTCFullYear() === parts.year &&
          date.getUTCMonth() === parts.month - 1 &&
          date.getUTCDate() === parts.day &&
          parts.hour <= 23 &&
          parts.minute <= 59 &&
          parts.second <= 59;
        expect(readTimestamp(text)).toBe(valid ? date.getTime() : undefined);
      }),
      { numRuns: 3000 },
    );
  });

  it("refuses the shape with anything but digits in place", () => {
    for (const text of [
      "2011-1x-01T00:00:00.000Z",
      "2011-10-01T00:00:00.00 Z",
      " 011-10-01T00:00:00.000Z",
      "2011-10-01T00:00:0-.000Z",
      "+011-10-01T00:00:00.000Z",
    ]) {
      expect(readTimestamp(text)).toBeUndefined();
    }
  });
});

describe("readNumber", () => {
  it.each([
    ["0", 0],
    ["12", 12],
    ["-12", -12],
    ["+12", 12],
    ["3.25", 3.25],
    ["-0.5", -0.5],
    [".5", 0.5],
    ["5.", 5],
    ["1e3", 1000],
    ["1.5E-2", 0.015],
    ["-2e+2", -200],
    [" 42 ", 42],
    ["007", 7],
  ])("reads %j as %d", (text, expected) => {
    expect(readNumber(text)).toBe(expected);
  });

  it.each([
    "",
    "abc",
    "1,5",
    "1,000",
    "1 000",
    "1_000",
    "0x10",
    "1e",
    "e3",
    ".",
    "-",
    "+-1",
    "1.2.3",
    "Infinity",
    "NaN",
    "1e999",
    "12abc",
  ])("refuses %j", (text) => {
    expect(readNumber(text)).toBeUndefined();
  });
});

describe("readBoolean", () => {
  it.each([
    ["true", true],
    ["TRUE", true],
    ["True", true],
    ["yes", true],
    ["YES", true],
    ["1", true],
    ["false", false],
    ["False", false],
    ["no", false],
    ["No", false],
    ["0", false],
    [" true ", true],
  ])("reads %j as %s", (text, expected) => {
    expect(readBoolean(text)).toBe(expected);
  });

  it.each(["", "t", "f", "y", "n", "2", "-1", "on", "off", "truee", "1.0"])(
    "refuses %j",
    (text) => {
      expect(readBoolean(text)).toBeUndefined();
    },
  );
});

describe("readDuration", () => {
  it.each([
    ["90", 90],
    ["1.5", 1.5],
    ["4 sec", 4],
    ["4s", 4],
    ["4 secs", 4],
    ["1 second", 1],
    ["4 seconds", 4],
    ["30 min", 1800],
    ["30m", 1800],
    ["30 mins", 1800],
    ["1 minute", 60],
    ["30 minutes", 1800],
    ["2 hours", 7200],
    ["1 hour", 3600],
    ["1.5 h", 5400],
    ["2 hr", 7200],
    ["2 hrs", 7200],
    ["3 days", 259_200],
    ["1 day", 86_400],
    ["3d", 259_200],
    ["2 weeks", 1_209_600],
    ["1 week", 604_800],
    ["2w", 1_209_600],
    ["500 ms", 0.5],
    ["3 DAYS", 259_200],
    ["2 Hours", 7200],
    [" 3 days ", 259_200],
    ["-1 h", -3600],
  ])("reads %j as %d seconds", (text, expected) => {
    expect(readDuration(text)).toBe(expected);
  });

  it.each([
    "",
    "days",
    "3 fortnights",
    "2 months",
    "1 year",
    "3 days ago",
    "1h30m",
    "3,5 h",
    "h 3",
  ])("refuses %j", (text) => {
    expect(readDuration(text)).toBeUndefined();
  });
});

describe("parse results", () => {
  it("reads an empty or blank cell as missing, whatever the type", () => {
    for (const text of ["", " ", "\t"]) {
      expect(isMissing(text)).toBe(true);
      expect(parseTimestamp(text)).toEqual({ ok: true, value: null });
      expect(parseNumber(text)).toEqual({ ok: true, value: null });
      expect(parseBoolean(text)).toEqual({ ok: true, value: null });
      expect(parseDuration(text)).toEqual({ ok: true, value: null });
    }
    expect(isMissing("x")).toBe(false);
  });

  it("gives the value, or the message that names the value and the type", () => {
    expect(parseTimestamp("2011-10-01")).toEqual({ ok: true, value: at("2011-10-01") });
    expect(parseTimestamp("1")).toEqual({ ok: false, problem: 'cannot read "1" as a timestamp' });
    expect(parseNumber("1,5")).toEqual({ ok: false, problem: 'cannot read "1,5" as a number' });
    expect(parseBoolean("maybe")).toEqual({
      ok: false,
      problem: 'cannot read "maybe" as a boolean',
    });
    expect(parseDuration("2 months")).toEqual({
      ok: false,
      problem: 'cannot read "2 months" as a duration',
    });
    expect(parseBoolean("no")).toEqual({ ok: true, value: false });
    expect(parseDuration("2 h")).toEqual({ ok: true, value: 7200 });
    expect(parseNumber("-3")).toEqual({ ok: true, value: -3 });
    expect(cannotRead('say "hi"', "number")).toBe('cannot read "say \\"hi\\"" as a number');
  });
});
