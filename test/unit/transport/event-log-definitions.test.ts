import { describe, expect, it } from "vitest";
import { columnDefinitions, operators } from "../../../src/domain/event-log/column-definition.js";
import {
  columnDefinitionToJSON,
  operatorToJSON,
  ColumnDefinition as ProtoColumnDefinition,
  Operator as ProtoOperator,
} from "../../../src/gen/trainingcore/v1/definition.js";
import {
  fromProtoColumnDefinition,
  fromProtoDefinition,
  fromProtoOperator,
  toProtoColumnDefinition,
  toProtoDefinition,
} from "../../../src/transport/event-log-definitions.js";
import { condition, effective, rule } from "../../helpers/event-log.js";

describe("event-log definitions between the protocol and the domain", () => {
  it("maps every ColumnDefinition to the enum value of its name, and back", () => {
    for (const name of columnDefinitions) {
      const proto = toProtoColumnDefinition(name);
      expect(columnDefinitionToJSON(proto)).toBe(`COLUMN_DEFINITION_${name}`);
      expect(fromProtoColumnDefinition(proto)).toBe(name);
    }
  });

  it("maps every Operator to the enum value of its name, and back", () => {
    for (const name of operators) {
      const proto = ProtoOperator[`OPERATOR_${name}`];
      expect(operatorToJSON(proto)).toBe(`OPERATOR_${name}`);
      expect(fromProtoOperator(proto)).toBe(name);
    }
  });

  it("reads UNSPECIFIED and numbers it does not know as UNSPECIFIED", () => {
    expect(fromProtoColumnDefinition(ProtoColumnDefinition.COLUMN_DEFINITION_UNSPECIFIED)).toBe(
      "UNSPECIFIED",
    );
    expect(fromProtoColumnDefinition(42 as ProtoColumnDefinition)).toBe("UNSPECIFIED");
    expect(fromProtoOperator(ProtoOperator.OPERATOR_UNSPECIFIED)).toBe("UNSPECIFIED");
    expect(fromProtoOperator(-7 as ProtoOperator)).toBe("UNSPECIFIED");
  });

  it("reads a request's definition, rules and all", () => {
    const read = fromProtoDefinition({
      columns: {
        case: ProtoColumnDefinition.COLUMN_DEFINITION_CASE_ID,
        odd: 99 as ProtoColumnDefinition,
      },
      caseAttributes: ["region"],
      positiveOutcome: {
        anyOf: [
          {
            conditions: [
              { column: "ACTIVITY", operator: ProtoOperator.OPERATOR_EQUAL, value: "paid" },
              { column: "x", operator: ProtoOperator.OPERATOR_UNSPECIFIED, value: "" },
            ],
          },
        ],
      },
      negativeOutcome: undefined,
      treatment: { anyOf: [] },
    });
    expect(read).toEqual({
      columns: new Map([
        ["case", "CASE_ID"],
        ["odd", "UNSPECIFIED"],
      ]),
      caseAttributes: ["region"],
      positiveOutcome: rule([
        condition("ACTIVITY", "EQUAL", "paid"),
        condition("x", "UNSPECIFIED", ""),
      ]),
      negativeOutcome: undefined,
      treatment: { anyOf: [] },
    });
  });

  it("writes an effective definition, leaving rules without groups unset", () => {
    const proto = toProtoDefinition(
      effective(
        { case: "CASE_ID", activity: "ACTIVITY", amount: "NUMBER" },
        {
          caseAttributes: ["amount"],
          treatment: rule([condition("amount", "LATER_THAN_OR_EQUAL", "3")]),
          positiveOutcome: { anyOf: [] },
        },
      ),
    );
    expect(proto).toEqual({
      columns: {
        case: ProtoColumnDefinition.COLUMN_DEFINITION_CASE_ID,
        activity: ProtoColumnDefinition.COLUMN_DEFINITION_ACTIVITY,
        amount: ProtoColumnDefinition.COLUMN_DEFINITION_NUMBER,
      },
      caseAttributes: ["amount"],
      positiveOutcome: undefined,
      negativeOutcome: undefined,
      treatment: {
        anyOf: [
          {
            conditions: [
              {
                column: "amount",
                operator: ProtoOperator.OPERATOR_LATER_THAN_OR_EQUAL,
                value: "3",
              },
            ],
          },
        ],
      },
    });
  });
});
