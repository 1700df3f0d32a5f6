import { describe, expect, it } from "vitest";
import type { Operator } from "../../../../src/domain/event-log/column-definition.js";
import { caseLabels } from "../../../../src/domain/event-log/labels.js";
import { compileRule } from "../../../../src/domain/event-log/rules.js";
import { type Columns, condition, effective, eventsOf, rule } from "../../../helpers/event-log.js";

const columns: Columns = {
  case: "CASE_ID",
  task: "ACTIVITY",
  time: "TIMESTAMP",
  who: "RESOURCE",
  note: "TEXT",
  kind: "CATEGORICAL",
  amount: "NUMBER",
  price: "COST",
  took: "DURATION",
  paid: "BOOLEAN",
  due: "DATETIME",
  hidden: "IGNORED",
};

/** Whether a one-event case with these cells satisfies the condition. */
function holds(cells: Record<string, string>, column: string, operator: Operator, value = "") {
  const definition = effective(columns, {
    positiveOutcome: rule([condition(column, operator, value)]),
  });
  const events = eventsOf(columns, [
    { case: "c1", task: "a", time: "2020-01-01T00:00:00Z", ...cells },
  ]);
  return caseLabels(events, definition).outcome === 1;
}

type Relation = "below" | "equal" | "above";
const ordered: Record<Operator, ((relation: Relation) => boolean) | undefined> = {
  EQUAL: (r) => r === "equal",
  NOT_EQUAL: (r) => r !== "equal",
  LESS_THAN: (r) => r === "below",
  LESS_THAN_OR_EQUAL: (r) => r !== "above",
  GREATER_THAN: (r) => r === "above",
  GREATER_THAN_OR_EQUAL: (r) => r !== "below",
  EARLIER_THAN: (r) => r === "below",
  EARLIER_THAN_OR_EQUAL: (r) => r !== "above",
  LATER_THAN: (r) => r === "above",
  LATER_THAN_OR_EQUAL: (r) => r !== "below",
  CONTAINS: undefined,
  NOT_CONTAINS: undefined,
  IS_TRUE: undefined,
  IS_FALSE: undefined,
};

const numericOperators: Operator[] = [
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

/** Cells below, equal to and above the condition value, for each ordered column. */
const orderedCases: [string, string, Operator[], Record<Relation, string[]>][] = [
  [
    "amount",
    "5",
    numericOperators,
    { below: ["4.99", "-5"], equal: ["5", "5.0", "+5", "5e0"], above: ["5.01", "50"] },
  ],
  ["price", "-2.5", numericOperators, { below: ["-3"], equal: ["-2.50"], above: ["0"] }],
  [
    "took",
    "2 hours",
    numericOperators,
    { below: ["7199", "1 h"], equal: ["7200", "120 min", "2h"], above: ["7201", "1 day"] },
  ],
  [
    "time",
    "2011-10-01T00:38:44.546Z",
    timeOperators,
    {
      below: ["2011-10-01T00:38:44.545Z", "2011-10-01T02:38:44.545+02:00"],
      equal: [
        "2011-10-01T02:38:44.546+02:00",
        "2011-10-01 00:38:44.546",
        "2011-09-30T19:38:44.546-05:00",
      ],
      above: ["2011-10-01T00:38:44.547Z", "2011-10-02"],
    },
  ],
  [
    "due",
    "2011-10-01",
    timeOperators,
    {
      below: ["2011-09-30T23:59:59.999Z"],
      equal: ["2011-10-01T00:00:00Z", "2011-10-01T02:00:00+02:00", "2011-10-01 00:00:00.000000"],
      above: ["2011-10-01T00:00:00.001Z", "2011-10-01T01:00:00+00:30"],
    },
  ],
];

describe("conditions on ordered values", () => {
  for (const [column, value, operators, cells] of orderedCases) {
    for (const operator of operators) {
      for (const relation of ["below", "equal", "above"] as const) {
        for (const cell of cells[relation]) {
          const expected = ordered[operator]?.(relation);
          it(`${column} ${JSON.stringify(cell)} ${operator} ${JSON.stringify(value)} is ${expected}`, () => {
            expect(holds({ [column]: cell }, column, operator, value)).toBe(expected);
          });
        }
      }
    }
  }

  it("matches LATER_THAN_OR_EQUAL on equal instants (the original system never did)", () => {
    expect(
      holds({ time: "2020-01-01T01:00:00+01:00" }, "time", "LATER_THAN_OR_EQUAL", "2020-01-01"),
    ).toBe(true);
  });
});

describe("conditions on text, categories and booleans", () => {
  it.each([
    ["note", "EQUAL", "Approved", "Approved", true],
    ["note", "EQUAL", "approved", "Approved", false],
    ["note", "EQUAL", "Approved ", "Approved", false],
    ["note", "NOT_EQUAL", "Approved", "Approved", false],
    ["note", "NOT_EQUAL", "Rejected", "Approved", true],
    ["note", "CONTAINS", "Pre-Approved", "Approved", true],
    ["note", "CONTAINS", "PRE-APPROVED", "Approved", false],
    ["note", "CONTAINS", "Approved", "Approved", true],
    ["note", "NOT_CONTAINS", "Pre-Approved", "Approved", false],
    ["note", "NOT_CONTAINS", "pre-approved", "Approved", true],
    ["task", "EQUAL", "a", "a", true],
    ["who", "CONTAINS", "Resource21", "21", true],
    ["hidden", "EQUAL", "secret", "secret", true],
    ["hidden", "CONTAINS", "top secret", "secret", true],
    ["kind", "EQUAL", "gold", "gold", true],
    ["kind", "EQUAL", "Gold", "gold", false],
    ["kind", "NOT_EQUAL", "silver", "gold", true],
    ["kind", "NOT_EQUAL", "gold", "gold", false],
  ] as const)("%s %s: cell %j, value %j is %s", (column, operator, cell, value, expected) => {
    expect(holds({ [column]: cell }, column, operator, value)).toBe(expected);
  });

  it.each([
    ["true", true],
    ["TRUE", true],
    ["yes", true],
    ["1", true],
    ["false", false],
    ["No", false],
    ["0", false],
  ])("paid %j: IS_TRUE is %s and IS_FALSE the opposite", (cell, isTrue) => {
    expect(holds({ paid: cell }, "paid", "IS_TRUE")).toBe(isTrue);
    expect(holds({ paid: cell }, "paid", "IS_FALSE")).toBe(!isTrue);
  });
});

describe("missing values", () => {
  const cases: [string, Operator, string][] = [
    ["note", "EQUAL", "x"],
    ["note", "NOT_EQUAL", "x"],
    ["note", "CONTAINS", "x"],
    ["note", "NOT_CONTAINS", "x"],
    ["kind", "NOT_EQUAL", "x"],
    ["amount", "NOT_EQUAL", "1"],
    ["amount", "LESS_THAN", "1"],
    ["took", "GREATER_THAN_OR_EQUAL", "0"],
    ["paid", "IS_TRUE", ""],
    ["paid", "IS_FALSE", ""],
    ["due", "NOT_EQUAL", "2020-01-01"],
    ["due", "EARLIER_THAN", "2999-01-01"],
  ];
  it.each(cases)("an empty %s satisfies no condition (%s)", (column, operator, value) => {
    expect(holds({ [column]: "" }, column, operator, value)).toBe(false);
    expect(holds({ [column]: "  " }, column, operator, value)).toBe(false);
  });

  it("a cell that does not read for its type satisfies no condition", () => {
    expect(holds({ amount: "abc" }, "amount", "NOT_EQUAL", "1")).toBe(false);
    expect(holds({ paid: "maybe" }, "paid", "IS_FALSE")).toBe(false);
    expect(holds({ due: "soon" }, "due", "NOT_EQUAL", "2020-01-01")).toBe(false);
  });
});

describe("groups and cases", () => {
  const log: Columns = { case: "CASE_ID", task: "ACTIVITY", time: "TIMESTAMP", amount: "NUMBER" };
  const events = eventsOf(log, [
    { case: "c", task: "submit", time: "2020-01-01T00:00:00Z", amount: "10" },
    { case: "c", task: "approve", time: "2020-01-02T00:00:00Z", amount: "100" },
  ]);
  const outcome = (...groups: Parameters<typeof rule>) =>
    caseLabels(events, effective(log, { positiveOutcome: rule(...groups) })).outcome;

  it("needs every condition of a group to hold for one and the same event", () => {
    expect(
      outcome([condition("task", "EQUAL", "submit"), condition("amount", "GREATER_THAN", "50")]),
    ).toBe(0);
    expect(
      outcome([condition("task", "EQUAL", "approve"), condition("amount", "GREATER_THAN", "50")]),
    ).toBe(1);
  });

  it("matches when any group holds for some event", () => {
    expect(
      outcome([condition("task", "EQUAL", "reject")], [condition("amount", "GREATER_THAN", "50")]),
    ).toBe(1);
    expect(
      outcome([condition("task", "EQUAL", "reject")], [condition("amount", "LESS_THAN", "5")]),
    ).toBe(0);
  });

  it("names a defined column by its fixed name, a header name first", () => {
    expect(outcome([condition("ACTIVITY", "EQUAL", "approve")])).toBe(1);
    expect(outcome([condition("CASE_ID", "EQUAL", "c")])).toBe(1);
    expect(outcome([condition("TIMESTAMP", "LATER_THAN", "2020-01-01T12:00:00Z")])).toBe(1);
    const shadowing: Columns = {
      ACTIVITY: "TEXT",
      task: "ACTIVITY",
      time: "TIMESTAMP",
      case: "CASE_ID",
    };
    const rows = eventsOf(shadowing, [{ ACTIVITY: "x", task: "y", time: "2020-01-01", case: "c" }]);
    const labels = (value: string) =>
      caseLabels(
        rows,
        effective(shadowing, { positiveOutcome: rule([condition("ACTIVITY", "EQUAL", value)]) }),
      );
    expect(labels("x").outcome).toBe(1);
    expect(labels("y").outcome).toBe(0);
  });
});

describe("compileRule", () => {
  it("refuses a rule that validation would refuse", () => {
    const cols = effective(columns).columns;
    expect(() => compileRule(rule([condition("nope", "EQUAL", "x")]), cols)).toThrow(
      /no such column/,
    );
    expect(() => compileRule(rule([condition("note", "UNSPECIFIED", "x")]), cols)).toThrow(
      /UNSPECIFIED/,
    );
    expect(() => compileRule(rule([condition("note", "LESS_THAN", "x")]), cols)).toThrow(
      /does not apply/,
    );
    expect(() => compileRule(rule([condition("amount", "EQUAL", "x")]), cols)).toThrow(
      /cannot read/,
    );
    expect(() => compileRule(rule([condition("note", "EQUAL", "")]), cols)).toThrow(/cannot read/);
  });
});
