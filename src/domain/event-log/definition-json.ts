/**
 * Definitions as JSON text, the way the store keeps them. Columns are a list of
 * `[name, definition]` pairs rather than an object, because an object would move header names
 * that look like numbers (`"2019"`) to the front and the effective definition is in header
 * order. A rule without groups is left out: it reads back as not given, as it was.
 *
 * Reading checks the shape and every enum value, and throws on anything else: stored text that
 * does not read is a fault of the store, not of a request.
 */
import {
  isColumnDefinition,
  isOperator,
  type RequestedColumnDefinition,
  type RequestedOperator,
} from "./column-definition.js";
import type {
  CaseRule,
  Condition,
  DefinitionRules,
  EffectiveDefinition,
  EventLogDefinition,
} from "./definition.js";

interface DefinitionJson {
  columns: [string, string][];
  caseAttributes: string[];
  positiveOutcome?: RuleJson;
  negativeOutcome?: RuleJson;
  treatment?: RuleJson;
}

interface RuleJson {
  anyOf: { conditions: { column: string; operator: string; value: string }[] }[];
}

const ruleFields = ["positiveOutcome", "negativeOutcome", "treatment"] as const;

/** The JSON text of a requested or an effective definition. */
export function definitionToJson(definition: EventLogDefinition | EffectiveDefinition): string {
  const json: DefinitionJson = {
    columns: [...definition.columns],
    caseAttributes: [...definition.caseAttributes],
  };
  for (const field of ruleFields) {
    const rule = definition[field];
    if (rule !== undefined && rule.anyOf.length > 0) json[field] = ruleJson(rule);
  }
  return JSON.stringify(json);
}

/** A requested definition from its JSON text; columns may be UNSPECIFIED. */
export function requestedDefinitionFromJson(text: string): EventLogDefinition {
  return fromJson(text, (value): value is RequestedColumnDefinition => {
    return value === "UNSPECIFIED" || isColumnDefinition(value);
  });
}

/** An effective definition from its JSON text: every column has a definition. */
export function effectiveDefinitionFromJson(text: string): EffectiveDefinition {
  return fromJson(text, isColumnDefinition);
}

function ruleJson(rule: CaseRule): RuleJson {
  return {
    anyOf: rule.anyOf.map((group) => ({
      conditions: group.conditions.map(({ column, operator, value }) => ({
        column,
        operator,
        value,
      })),
    })),
  };
}

function fromJson<D extends RequestedColumnDefinition>(
  text: string,
  isDefinition: (value: string) => value is D,
): DefinitionRules & { columns: ReadonlyMap<string, D> } {
  const json: unknown = JSON.parse(text);
  if (!isObject(json) || !Array.isArray(json.columns) || !isStringArray(json.caseAttributes)) {
    throw storedDefinitionError("it is not an object with columns and caseAttributes");
  }
  const columns = new Map<string, D>();
  for (const entry of json.columns) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== "string") {
      throw storedDefinitionError("a column is not a [name, definition] pair");
    }
    const definition = entry[1];
    if (typeof definition !== "string" || !isDefinition(definition)) {
      throw storedDefinitionError(`column ${JSON.stringify(entry[0])} has no valid definition`);
    }
    columns.set(entry[0], definition);
  }
  const rules: { -readonly [F in (typeof ruleFields)[number]]?: CaseRule } = {};
  for (const field of ruleFields) {
    const rule = json[field];
    if (rule !== undefined) rules[field] = ruleFromJson(rule, field);
  }
  return { columns, caseAttributes: json.caseAttributes, ...rules };
}

function ruleFromJson(json: unknown, field: string): CaseRule {
  if (!isObject(json) || !Array.isArray(json.anyOf)) {
    throw storedDefinitionError(`${field} has no anyOf list`);
  }
  return {
    anyOf: json.anyOf.map((group: unknown) => {
      if (!isObject(group) || !Array.isArray(group.conditions)) {
        throw storedDefinitionError(`a group of ${field} has no conditions list`);
      }
      return { conditions: group.conditions.map((c: unknown) => conditionFromJson(c, field)) };
    }),
  };
}

function conditionFromJson(json: unknown, field: string): Condition {
  if (
    !isObject(json) ||
    typeof json.column !== "string" ||
    typeof json.operator !== "string" ||
    typeof json.value !== "string"
  ) {
    throw storedDefinitionError(`a condition of ${field} is not {column, operator, value}`);
  }
  const operator = json.operator;
  if (operator !== "UNSPECIFIED" && !isOperator(operator)) {
    throw storedDefinitionError(`a condition of ${field} has operator ${operator}`);
  }
  return { column: json.column, operator: operator as RequestedOperator, value: json.value };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function storedDefinitionError(why: string): Error {
  return new Error(`a stored event-log definition cannot be read: ${why}`);
}
