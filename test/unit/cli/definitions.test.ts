// The CLI's event-log definition options and how it prints definitions, without a core.
import { InvalidArgumentError } from "commander";
import { describe, expect, it } from "vitest";
import { mergeDefinition, parseColumnSetting } from "../../../src/cli/definition-args.js";
import { definitionProblems } from "../../../src/cli/definition-file.js";
import { conditionText, ruleText } from "../../../src/cli/definition-format.js";
import { columnDefinitionNames, operatorNames } from "../../../src/cli/definition-names.js";
import {
  ColumnDefinition,
  EventLogDefinition,
  Operator,
} from "../../../src/gen/trainingcore/v1/definition.js";

describe("--column", () => {
  it("reads NAME=DEFINITION in any case, the definition after the last =", () => {
    expect(parseColumnSetting("case:concept:name=case_id")).toEqual({
      name: "case:concept:name",
      definition: ColumnDefinition.COLUMN_DEFINITION_CASE_ID,
    });
    expect(parseColumnSetting("a=b=Start_Timestamp")).toEqual({
      name: "a=b",
      definition: ColumnDefinition.COLUMN_DEFINITION_START_TIMESTAMP,
    });
  });

  it.each(["paid", "=boolean", "paid=", "paid=unspecified", "paid=COLUMN_DEFINITION_BOOLEAN"])(
    "refuses %j",
    (text) => {
      expect(() => parseColumnSetting(text)).toThrow(InvalidArgumentError);
    },
  );

  it("says how to write a definition given with the protocol's prefix", () => {
    expect(() => parseColumnSetting("paid=COLUMN_DEFINITION_BOOLEAN")).toThrow(
      "write the definition without its prefix: paid=boolean",
    );
  });

  it("knows the eighteen definitions and fourteen operators of the protocol", () => {
    expect(columnDefinitionNames).toHaveLength(18);
    expect(columnDefinitionNames[0]).toBe("CASE_ID");
    expect(columnDefinitionNames.at(-1)).toBe("IGNORED");
    expect(operatorNames).toHaveLength(14);
  });
});

describe("mergeDefinition", () => {
  const file = EventLogDefinition.fromJSON({
    columns: { a: "COLUMN_DEFINITION_TEXT", b: "COLUMN_DEFINITION_NUMBER" },
    caseAttributes: ["a"],
    treatment: {
      anyOf: [{ conditions: [{ column: "b", operator: "OPERATOR_EQUAL", value: "1" }] }],
    },
  });

  it("sends no definition when no option asks for one", () => {
    expect(mergeDefinition({ columns: [], caseAttributes: [] })).toBeUndefined();
  });

  it("lets --column override the file and --case-attribute add to it", () => {
    const merged = mergeDefinition({
      file,
      columns: [
        { name: "b", definition: ColumnDefinition.COLUMN_DEFINITION_COST },
        { name: "__proto__", definition: ColumnDefinition.COLUMN_DEFINITION_IGNORED },
      ],
      caseAttributes: ["c", "a"],
    });
    expect(merged?.columns).toEqual({
      a: ColumnDefinition.COLUMN_DEFINITION_TEXT,
      b: ColumnDefinition.COLUMN_DEFINITION_COST,
      ["__proto__"]: ColumnDefinition.COLUMN_DEFINITION_IGNORED,
    });
    expect(Object.keys(merged?.columns ?? {})).toEqual(["a", "b", "__proto__"]);
    expect(merged?.caseAttributes).toEqual(["a", "c"]);
    expect(merged?.treatment).toEqual(file.treatment);
  });
});

describe("definitionProblems", () => {
  it("accepts the protobuf JSON mapping: camelCase or proto names, enum names or numbers, null", () => {
    expect(
      definitionProblems({
        columns: { a: "COLUMN_DEFINITION_CASE_ID", b: 2 },
        case_attributes: null,
        negative_outcome: {
          any_of: [{ conditions: [{ column: "DURATION", operator: 7, value: "3 days" }] }],
        },
        treatment: null,
      }),
    ).toEqual([]);
  });

  it("names every problem by its path", () => {
    expect(
      definitionProblems({
        columns: [],
        caseAttributes: "a",
        positiveOutcome: { anyOf: [{ conditions: [{ column: 1, operator: "equal" }], x: 1 }] },
      }),
    ).toEqual([
      "columns: expected an object of column name to definition",
      "caseAttributes: expected a list of column names",
      'positiveOutcome.anyOf[0].conditions[0].column: expected a string, e.g. "1"',
      'positiveOutcome.anyOf[0].conditions[0].operator: write "OPERATOR_EQUAL" (the protobuf JSON name)',
      'positiveOutcome.anyOf[0]: unknown field "x" (fields: conditions)',
    ]);
    expect(definitionProblems([])).toHaveLength(1);
    expect(definitionProblems({ columns: { a: 19 } })[0]).toMatch(
      /^columns\["a"\]: 19 is not a column definition; use one of COLUMN_DEFINITION_CASE_ID, /,
    );
  });
});

describe("rules on one line", () => {
  const when = (column: string, operator: Operator, value = "") => ({ column, operator, value });

  it("writes each operator of each type", () => {
    const texts = [
      when("ACTIVITY", Operator.OPERATOR_EQUAL, "T10 Determine necessity to stop indication"),
      when("Case Type", Operator.OPERATOR_NOT_CONTAINS, "x"),
      when("amount", Operator.OPERATOR_LESS_THAN_OR_EQUAL, "10.5"),
      when("paid", Operator.OPERATOR_IS_FALSE, "ignored"),
      when("due", Operator.OPERATOR_LATER_THAN_OR_EQUAL, "2024-01-01"),
    ].map(conditionText);
    expect(texts).toEqual([
      'ACTIVITY == "T10 Determine necessity to stop indication"',
      '"Case Type" does not contain "x"',
      'amount <= "10.5"',
      "paid is false",
      'due at or later than "2024-01-01"',
    ]);
  });

  it("says whether one event must satisfy a group, except for the case's duration", () => {
    const rule = {
      anyOf: [
        { conditions: [when("ACTIVITY", Operator.OPERATOR_EQUAL, "pay")] },
        {
          conditions: [
            when("ACTIVITY", Operator.OPERATOR_EQUAL, "pay"),
            when("RESOURCE", Operator.OPERATOR_NOT_EQUAL, "ann"),
          ],
        },
        { conditions: [when("DURATION", Operator.OPERATOR_GREATER_THAN, "7 days")] },
      ],
    };
    expect(ruleText(rule)).toBe(
      'ACTIVITY == "pay" (any event) or ACTIVITY == "pay" and RESOURCE != "ann" (same event) or DURATION > "7 days"',
    );
    // A header column named DURATION is an event's value.
    expect(ruleText({ anyOf: rule.anyOf.slice(2) }, { DURATION: 7 })).toBe(
      'DURATION > "7 days" (any event)',
    );
  });
});
