import { describe, expect, it } from "vitest";
import type { EventLogDefinition } from "../../../../src/domain/event-log/definition.js";
import {
  definitionToJson,
  effectiveDefinitionFromJson,
  requestedDefinitionFromJson,
} from "../../../../src/domain/event-log/definition-json.js";
import { condition, effective, rule } from "../../../helpers/event-log.js";

describe("definitions as JSON", () => {
  it("round-trips an effective definition, columns in header order (numeric names too)", () => {
    const columns = new Map([
      ["case", "CASE_ID"],
      ["2019", "NUMBER"],
      ["activity", "ACTIVITY"],
      ["1", "TEXT"],
      ["ts", "TIMESTAMP"],
    ] as const);
    const definition = {
      ...effective(
        {},
        {
          caseAttributes: ["2019"],
          negativeOutcome: rule(
            [condition("ACTIVITY", "EQUAL", "reject"), condition("DURATION", "LESS_THAN", "2 d")],
            [condition("2019", "GREATER_THAN_OR_EQUAL", "3.5")],
          ),
          treatment: rule([condition("1", "CONTAINS", "call")]),
        },
      ),
      columns,
    };
    const back = effectiveDefinitionFromJson(definitionToJson(definition));
    expect([...back.columns]).toEqual([...columns]);
    expect(back).toEqual(definition);
  });

  it("leaves out rules without groups, which read back as not given", () => {
    const given: EventLogDefinition = {
      columns: new Map([["c", "UNSPECIFIED"]]),
      caseAttributes: [],
      positiveOutcome: { anyOf: [] },
    };
    const json = definitionToJson(given);
    expect(JSON.parse(json)).toEqual({ columns: [["c", "UNSPECIFIED"]], caseAttributes: [] });
    expect(requestedDefinitionFromJson(json)).toEqual({
      columns: new Map([["c", "UNSPECIFIED"]]),
      caseAttributes: [],
    });
  });

  it("refuses stored text that is not a definition, saying what is wrong", () => {
    const read = (json: unknown) => () => effectiveDefinitionFromJson(JSON.stringify(json));
    expect(read([])).toThrow(/not an object with columns and caseAttributes/);
    expect(read({ columns: [["c"]], caseAttributes: [] })).toThrow(/not a \[name, definition\]/);
    expect(read({ columns: [["c", "UNSPECIFIED"]], caseAttributes: [] })).toThrow(
      /column "c" has no valid definition/,
    );
    expect(read({ columns: [["c", "SIZE"]], caseAttributes: [] })).toThrow(/column "c"/);
    expect(read({ columns: [], caseAttributes: [], treatment: {} })).toThrow(
      /treatment has no anyOf/,
    );
    expect(
      read({
        columns: [],
        caseAttributes: [],
        treatment: { anyOf: [{ conditions: [{ column: "a", operator: "LIKE", value: "" }] }] },
      }),
    ).toThrow(/operator LIKE/);
  });
});
