import { describe, expect, it } from "vitest";
import {
  columnDefinitions,
  isColumnDefinition,
  isOperator,
  isRoleDefinition,
  operators,
  operatorsFor,
  roleDefinitions,
  takesValue,
  valueTypeOf,
} from "../../../../src/domain/event-log/column-definition.js";

describe("column definitions and operators", () => {
  it("lists the 18 definitions in protocol order (enum value = index + 1)", () => {
    expect(columnDefinitions).toEqual([
      "CASE_ID",
      "ACTIVITY",
      "TIMESTAMP",
      "START_TIMESTAMP",
      "END_TIMESTAMP",
      "RESOURCE",
      "DURATION",
      "COST",
      "OUTCOME",
      "TREATMENT",
      "TRANSITION",
      "COMPLETE_INDICATOR",
      "TEXT",
      "NUMBER",
      "BOOLEAN",
      "DATETIME",
      "CATEGORICAL",
      "IGNORED",
    ]);
  });

  it("lists the 14 operators in protocol order (enum value = index + 1)", () => {
    expect(operators).toEqual([
      "EQUAL",
      "NOT_EQUAL",
      "CONTAINS",
      "NOT_CONTAINS",
      "LESS_THAN",
      "LESS_THAN_OR_EQUAL",
      "GREATER_THAN",
      "GREATER_THAN_OR_EQUAL",
      "IS_TRUE",
      "IS_FALSE",
      "EARLIER_THAN",
      "EARLIER_THAN_OR_EQUAL",
      "LATER_THAN",
      "LATER_THAN_OR_EQUAL",
    ]);
  });

  it("gives every definition a value type", () => {
    expect(Object.fromEntries(columnDefinitions.map((d) => [d, valueTypeOf(d)]))).toEqual({
      CASE_ID: "text",
      ACTIVITY: "text",
      TIMESTAMP: "timestamp",
      START_TIMESTAMP: "timestamp",
      END_TIMESTAMP: "timestamp",
      RESOURCE: "text",
      DURATION: "duration",
      COST: "number",
      OUTCOME: "boolean",
      TREATMENT: "boolean",
      TRANSITION: "text",
      COMPLETE_INDICATOR: "boolean",
      TEXT: "text",
      NUMBER: "number",
      BOOLEAN: "boolean",
      DATETIME: "timestamp",
      CATEGORICAL: "categorical",
      IGNORED: "text",
    });
  });

  it("fits operators to value types", () => {
    expect(operatorsFor("text")).toEqual(["EQUAL", "NOT_EQUAL", "CONTAINS", "NOT_CONTAINS"]);
    expect(operatorsFor("categorical")).toEqual(["EQUAL", "NOT_EQUAL"]);
    const comparisons = [
      "EQUAL",
      "NOT_EQUAL",
      "LESS_THAN",
      "LESS_THAN_OR_EQUAL",
      "GREATER_THAN",
      "GREATER_THAN_OR_EQUAL",
    ];
    expect(operatorsFor("number")).toEqual(comparisons);
    expect(operatorsFor("duration")).toEqual(comparisons);
    expect(operatorsFor("boolean")).toEqual(["IS_TRUE", "IS_FALSE"]);
    expect(operatorsFor("timestamp")).toEqual([
      "EQUAL",
      "NOT_EQUAL",
      "EARLIER_THAN",
      "EARLIER_THAN_OR_EQUAL",
      "LATER_THAN",
      "LATER_THAN_OR_EQUAL",
    ]);
  });

  it("knows which operators take a value", () => {
    expect(operators.filter((operator) => !takesValue(operator))).toEqual(["IS_TRUE", "IS_FALSE"]);
  });

  it("separates roles (one column each) from attributes", () => {
    expect(roleDefinitions).toHaveLength(12);
    expect(columnDefinitions.filter((d) => !isRoleDefinition(d))).toEqual([
      "TEXT",
      "NUMBER",
      "BOOLEAN",
      "DATETIME",
      "CATEGORICAL",
      "IGNORED",
    ]);
  });

  it("recognises its own names only", () => {
    expect(isColumnDefinition("CASE_ID")).toBe(true);
    expect(isColumnDefinition("UNSPECIFIED")).toBe(false);
    expect(isColumnDefinition("case_id")).toBe(false);
    expect(isOperator("LATER_THAN_OR_EQUAL")).toBe(true);
    expect(isOperator("UNSPECIFIED")).toBe(false);
    expect(isRoleDefinition("TEXT")).toBe(false);
  });
});
