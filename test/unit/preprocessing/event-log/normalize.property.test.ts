/**
 * Random small logs (cases interleaved or not, times out of order, equal instants written with
 * other offsets, missing times, cells that need quoting) and rules: both modes write exactly the
 * training and holdout sets of a plain in-memory model: rows grouped by case in first-seen order,
 * each case stably sorted by time (timeless last), labelled by `createLabeler` on the file's own
 * cells, each row written by `trainingColumns`, the n-th case to holdout when floor(n * f) grows.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvField } from "../../../../src/app/preprocessing/csv/csv-writer.js";
import {
  type CaseRule,
  createLabeler,
  type EffectiveDefinition,
  type LogEvent,
  readTimestamp,
  trainingColumns,
} from "../../../../src/domain/event-log/index.js";
import { condition, rule } from "../../../helpers/event-log.js";
import { definitionOf, normalizeCsv } from "./helpers.js";

const header = ["case", "activity", "time", "who", "amount", "note", "secret"];
const columns = {
  time: "TIMESTAMP",
  who: "RESOURCE",
  amount: "NUMBER",
  secret: "IGNORED",
} as const;

const base = Date.UTC(2020, 0, 1);

/** An instant in one of several equivalent forms (UTC with `Z` or a space, other offsets). */
const instantText = (ms: number) =>
  fc.constantFrom("Z", " ", "+01:30", "-05:00").map((form) => {
    if (form === "Z") return new Date(ms).toISOString();
    if (form === " ") return new Date(ms).toISOString().slice(0, 23).replace("T", " ");
    const minutes =
      (form.startsWith("-") ? -1 : 1) * (Number(form.slice(1, 3)) * 60 + Number(form.slice(4)));
    return `${new Date(ms + minutes * 60_000).toISOString().slice(0, 23)}${form}`;
  });

const row = fc
  .record({
    caseId: fc.constantFrom("c0", "c1", "c2", "c3", "c 4", "c,5"),
    activity: fc.constantFrom("submit", "check", "approve", 'say "no"'),
    time: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null, freq: 6 }),
    who: fc.constantFrom("ann", "bob", "", "cat"),
    amount: fc.constantFrom("1", " 2.5 ", "", "-3e1"),
    note: fc.constantFrom("", "plain", "a,b", "two\nlines", "x\r\ny"),
    secret: fc.constantFrom("won", "lost"),
  })
  .chain((r) =>
    (r.time === null ? fc.constant("") : instantText(base + r.time * 1_800_000)).map((time) => [
      r.caseId,
      r.activity,
      time,
      r.who,
      r.amount,
      r.note,
      r.secret,
    ]),
  );

const rules: Record<string, CaseRule | undefined> = {
  none: undefined,
  approved: rule([condition("ACTIVITY", "EQUAL", "approve")]),
  secret: rule([condition("secret", "EQUAL", "won")]),
  longOrBig: rule(
    [condition("DURATION", "GREATER_THAN", "1 h")],
    [condition("amount", "GREATER_THAN_OR_EQUAL", "2.5")],
  ),
  early: rule([condition("TIMESTAMP", "EARLIER_THAN_OR_EQUAL", "2020-01-01T01:00:00+01:00")]),
};

const log = fc.record({
  rows: fc.array(row, { minLength: 1, maxLength: 25 }),
  contiguous: fc.boolean(),
  outcome: fc.constantFrom(...Object.keys(rules)),
  negative: fc.boolean(),
  treatment: fc.constantFrom(...Object.keys(rules)),
  holdoutFraction: fc.constantFrom(0, 0.2, 0.5, 0.9),
  chunkSize: fc.integer({ min: 1, max: 64 }),
});

/** The rows with each case's rows moved together, cases in first-seen order. */
function casesTogether(rows: string[][]): string[][] {
  const byCase = new Map<string, string[][]>();
  for (const r of rows) byCase.set(r[0] as string, [...(byCase.get(r[0] as string) ?? []), r]);
  return [...byCase.values()].flat();
}

function csvOf(rows: readonly (readonly string[])[]): string {
  return rows.map((r) => `${r.map(csvField).join(",")}\n`).join("");
}

/** The expected training and holdout sets. */
function model(rows: string[][], definition: EffectiveDefinition, fraction: number) {
  const output = trainingColumns(header, definition);
  const labeler = createLabeler(definition);
  const byCase = new Map<string, LogEvent[]>();
  for (const cells of rows) {
    const events = byCase.get(cells[0] as string) ?? [];
    events.push({ cells, time: readTimestamp(cells[2] as string) ?? null });
    byCase.set(cells[0] as string, events);
  }
  const sets = { training: [] as string[][], holdout: [] as string[][] };
  let n = 0;
  let holdoutCases = 0;
  for (const events of byCase.values()) {
    n++;
    const holdout = Math.floor(n * fraction) > holdoutCases;
    if (holdout) holdoutCases++;
    const ordered = events
      .map((event, order) => ({ event, order }))
      .sort((a, b) => {
        const [x, y] = [a.event.time, b.event.time];
        if (x === y) return a.order - b.order;
        if (x === null) return 1;
        if (y === null) return -1;
        return x - y;
      })
      .map(({ event }) => event);
    const labels = labeler(ordered);
    for (const event of ordered) {
      (holdout ? sets.holdout : sets.training).push(
        output.map((column) => column.cell(event.cells, labels)),
      );
    }
  }
  const names = output.map((column) => column.name);
  return { training: csvOf([names, ...sets.training]), holdout: csvOf([names, ...sets.holdout]) };
}

describe("normalized sets against an in-memory model", () => {
  it("are the model's rows, in the model's order, with its labels, in both modes", async () => {
    await fc.assert(
      fc.asyncProperty(log, async (example) => {
        const rows = example.contiguous ? casesTogether(example.rows) : example.rows;
        const outcome = rules[example.outcome];
        const definition = definitionOf(columns, {
          caseAttributes: [],
          ...(outcome && example.negative ? { negativeOutcome: outcome } : {}),
          ...(outcome && !example.negative ? { positiveOutcome: outcome } : {}),
          ...(rules[example.treatment] ? { treatment: rules[example.treatment] } : {}),
        });
        const csv = csvOf([header, ...rows]);
        const options = {
          holdoutFraction: example.holdoutFraction,
          chunkSize: example.chunkSize,
        };
        const streamed = await normalizeCsv(csv, definition, options);
        const expected = model(rows, streamed.summary.definition, example.holdoutFraction);
        expect(streamed.training).toBe(expected.training);
        expect(streamed.holdout).toBe(expected.holdout);
        expect(streamed.summary.rows).toBe(rows.length);
        const grouped = await normalizeCsv(csv, definition, { ...options, grouping: "always" });
        expect(grouped.training).toBe(streamed.training);
        expect(grouped.holdout).toBe(streamed.holdout);
      }),
      { numRuns: 150 },
    );
  });
});
