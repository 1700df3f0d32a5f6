/**
 * Random small cases and rules: the labels equal those of a plain model of the rules that works
 * on typed values (numbers, instants, booleans) instead of the cells, which are written in
 * varied but equivalent forms (offsets, number spellings, boolean words, duration units).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Operator } from "../../../../src/domain/event-log/column-definition.js";
import type { CaseRule, Condition } from "../../../../src/domain/event-log/definition.js";
import { caseLabels } from "../../../../src/domain/event-log/labels.js";
import type { LogEvent } from "../../../../src/domain/event-log/rules.js";
import { type Columns, effective } from "../../../helpers/event-log.js";

const columns: Columns = {
  case: "CASE_ID",
  act: "ACTIVITY",
  time: "TIMESTAMP",
  who: "RESOURCE",
  amount: "NUMBER",
  flag: "BOOLEAN",
  tier: "CATEGORICAL",
  note: "TEXT",
};

interface TypedEvent {
  act: string;
  time: number | null;
  who: string | null;
  amount: number | null;
  flag: boolean | null;
  tier: string | null;
  note: string | null;
}
type Value = string | number | boolean;
interface Spec {
  field: keyof TypedEvent | "DURATION";
  operator: Operator;
  target: Value | null;
  condition: Condition;
}

const base = Date.UTC(2020, 0, 1);
const HALF_HOUR = 1_800_000;
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null, freq: 4 });
const words = fc.constantFrom("a", "b", "ab", "ba", "A");

const typedEvent: fc.Arbitrary<TypedEvent> = fc.record({
  act: fc.constantFrom("submit", "check", "approve"),
  time: maybe(fc.integer({ min: 0, max: 8 }).map((k) => base + k * HALF_HOUR)),
  who: maybe(fc.constantFrom("ann", "bob", "cat")),
  amount: maybe(fc.integer({ min: -2, max: 2 })),
  flag: maybe(fc.boolean()),
  tier: maybe(fc.constantFrom("gold", "silver")),
  note: maybe(words),
});

/** Renders an instant in one of several equivalent ISO 8601 forms. */
const instantText = (ms: number) =>
  fc.constantFrom(0, 60, -300, 330).map((offsetMinutes) => {
    const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
    if (offsetMinutes === 0) return `${local.replace("T", " ")}.000`;
    const sign = offsetMinutes < 0 ? "-" : "+";
    const abs = Math.abs(offsetMinutes);
    return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
  });
const numberText = (n: number) =>
  fc.constantFrom(String(n), `${n}.0`, `${n}e0`, n >= 0 ? `+${n}` : String(n));
const flagText = (b: boolean) =>
  fc.constantFrom(...(b ? ["true", "YES", "1"] : ["false", "No", "0"]));
const secondsText = (s: number) =>
  fc.constantFrom(String(s), `${s / 60} min`, `${s / 3600} h`, `${s / 60}m`);

const cellsOf = (event: TypedEvent): fc.Arbitrary<string[]> =>
  fc
    .tuple(
      event.time === null ? fc.constant("") : instantText(event.time),
      event.amount === null ? fc.constant("") : numberText(event.amount),
      event.flag === null ? fc.constant("") : flagText(event.flag),
    )
    .map(([time, amount, flag]) => [
      "c",
      event.act,
      time,
      event.who ?? "",
      amount,
      flag,
      event.tier ?? "",
      event.note ?? "",
    ]);

const spec = (
  field: Spec["field"],
  names: string[],
  operators: Operator[],
  target: fc.Arbitrary<[Value | null, string]>,
) =>
  fc.tuple(fc.constantFrom(...names), fc.constantFrom(...operators), target).map(
    ([column, operator, [value, text]]): Spec => ({
      field,
      operator,
      target: value,
      condition: { column, operator, value: text },
    }),
  );
const comparisons: Operator[] = [
  "EQUAL",
  "NOT_EQUAL",
  "LESS_THAN",
  "LESS_THAN_OR_EQUAL",
  "GREATER_THAN",
  "GREATER_THAN_OR_EQUAL",
];
const timeOperators: Operator[] = [
  "EQUAL",
  "NOT_EQUAL",
  "EARLIER_THAN",
  "EARLIER_THAN_OR_EQUAL",
  "LATER_THAN",
  "LATER_THAN_OR_EQUAL",
];
const textTarget = (arb: fc.Arbitrary<string>) => arb.map((s): [Value, string] => [s, s]);

const conditionSpec: fc.Arbitrary<Spec> = fc.oneof(
  spec(
    "act",
    ["act", "ACTIVITY"],
    ["EQUAL", "NOT_EQUAL", "CONTAINS", "NOT_CONTAINS"],
    textTarget(fc.constantFrom("submit", "approve", "e")),
  ),
  spec(
    "who",
    ["who", "RESOURCE"],
    ["EQUAL", "NOT_EQUAL", "CONTAINS", "NOT_CONTAINS"],
    textTarget(fc.constantFrom("ann", "bob", "b")),
  ),
  spec("note", ["note"], ["EQUAL", "NOT_EQUAL", "CONTAINS", "NOT_CONTAINS"], textTarget(words)),
  spec("tier", ["tier"], ["EQUAL", "NOT_EQUAL"], textTarget(fc.constantFrom("gold", "silver"))),
  spec("flag", ["flag"], ["IS_TRUE", "IS_FALSE"], fc.constant([null, ""])),
  spec(
    "amount",
    ["amount"],
    comparisons,
    fc.integer({ min: -2, max: 2 }).chain((n) => numberText(n).map((t): [Value, string] => [n, t])),
  ),
  spec(
    "time",
    ["time", "TIMESTAMP"],
    timeOperators,
    fc
      .integer({ min: 0, max: 8 })
      .chain((k) =>
        instantText(base + k * HALF_HOUR).map((t): [Value, string] => [base + k * HALF_HOUR, t]),
      ),
  ),
  spec(
    "DURATION",
    ["DURATION"],
    comparisons,
    fc
      .integer({ min: 0, max: 8 })
      .chain((k) => secondsText(k * 1800).map((t): [Value, string] => [k * 1800, t])),
  ),
);

const ruleSpec = fc.array(fc.array(conditionSpec, { minLength: 1, maxLength: 3 }), {
  minLength: 1,
  maxLength: 3,
});
const toRule = (groups: Spec[][]): CaseRule => ({
  anyOf: groups.map((group) => ({ conditions: group.map((s) => s.condition) })),
});

/** The model: conditions over typed values, a missing value satisfying none. */
function modelHolds(s: Spec, event: TypedEvent, duration: number | null): boolean {
  const value: Value | null = s.field === "DURATION" ? duration : event[s.field];
  if (value === null) return false;
  const target = s.target;
  switch (s.operator) {
    case "IS_TRUE":
      return value === true;
    case "IS_FALSE":
      return value === false;
    case "EQUAL":
      return value === target;
    case "NOT_EQUAL":
      return value !== target;
    case "CONTAINS":
      return String(value).includes(String(target));
    case "NOT_CONTAINS":
      return !String(value).includes(String(target));
    case "LESS_THAN":
    case "EARLIER_THAN":
      return Number(value) < Number(target);
    case "LESS_THAN_OR_EQUAL":
    case "EARLIER_THAN_OR_EQUAL":
      return Number(value) <= Number(target);
    case "GREATER_THAN":
    case "LATER_THAN":
      return Number(value) > Number(target);
    case "GREATER_THAN_OR_EQUAL":
    case "LATER_THAN_OR_EQUAL":
      return Number(value) >= Number(target);
  }
}

function modelFirstMatch(groups: Spec[][], events: TypedEvent[]): TypedEvent | undefined {
  const times = events.flatMap((e) => (e.time === null ? [] : [e.time]));
  const duration = times.length === 0 ? null : (Math.max(...times) - Math.min(...times)) / 1000;
  const ordered = [
    ...events.filter((e) => e.time !== null).sort((a, b) => Number(a.time) - Number(b.time)),
    ...events.filter((e) => e.time === null),
  ];
  return ordered.find((event) =>
    groups.some((group) => group.every((s) => modelHolds(s, event, duration))),
  );
}

describe("case labels against a model of the rules", () => {
  it("label every random case as the model does", () => {
    const scenario = fc.record({
      events: fc.array(typedEvent, { minLength: 1, maxLength: 6 }),
      outcome: ruleSpec,
      negative: fc.boolean(),
      treatment: ruleSpec,
    });
    fc.assert(
      fc.property(
        scenario.chain((s) => fc.tuple(fc.constant(s), fc.tuple(...s.events.map(cellsOf)))),
        ([s, rows]) => {
          const events: LogEvent[] = rows.map((cells, i) => ({
            cells,
            time: s.events[i]?.time ?? null,
          }));
          const rule = toRule(s.outcome);
          const definition = effective(columns, {
            ...(s.negative ? { negativeOutcome: rule } : { positiveOutcome: rule }),
            treatment: toRule(s.treatment),
          });
          const matchedOutcome = modelFirstMatch(s.outcome, s.events) !== undefined;
          const treated = modelFirstMatch(s.treatment, s.events);
          const expected: Record<string, unknown> = {
            outcome: matchedOutcome !== s.negative ? 1 : 0,
            treatment: treated ? 1 : 0,
          };
          if (treated?.who) expected.treatmentResource = treated.who;
          expect(caseLabels(events, definition)).toEqual(expected);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
