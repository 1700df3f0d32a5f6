/**
 * `--definition FILE.json`: an EventLogDefinition in the protobuf JSON mapping (field names in
 * lowerCamelCase or as in the .proto, enum values by their full names or numbers), as grpcurl
 * and the other protobuf libraries read it.
 *
 * The generated `fromJSON` drops what it does not know without a word, so a misspelt field
 * would silently lose a rule; the shape is checked first, and every problem is named by its
 * path in the file. Whether the definition fits the dataset is for the core to say.
 */
import { readFile } from "node:fs/promises";
import { EventLogDefinition } from "../gen/trainingcore/v1/definition.js";
import {
  columnDefinitionJsonNames,
  columnDefinitionNames,
  operatorJsonNames,
  operatorNames,
} from "./definition-names.js";
import { usageError } from "./errors.js";

export async function readDefinitionFile(path: string): Promise<EventLogDefinition> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw usageError(`cannot read --definition ${path}: ${reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw usageError(`--definition ${path} is not JSON: ${(error as Error).message}`);
  }
  const problems = definitionProblems(json);
  if (problems.length > 0) {
    throw usageError(
      `--definition ${path}:${problems.map((problem) => `\n  ${problem}`).join("")}`,
    );
  }
  return EventLogDefinition.fromJSON(json);
}

type Json = Record<string, unknown>;
type Check = (value: unknown, at: string, problems: string[]) => void;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** What is wrong with the shape of a definition in protobuf JSON; empty when nothing is. */
export function definitionProblems(json: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(json)) {
    return [`expected an object such as {"columns": {"Case": "COLUMN_DEFINITION_CASE_ID"}}`];
  }
  checkFields(json, "", problems, {
    columns: checkColumns,
    caseAttributes: checkStrings,
    positiveOutcome: checkRule,
    negativeOutcome: checkRule,
    treatment: checkRule,
  });
  return problems;
}

/** Checks each field present (null is the default value, as in protobuf JSON). */
function checkFields(
  object: Json,
  at: string,
  problems: string[],
  fields: Readonly<Record<string, Check>>,
): void {
  const byName = new Map<string, [string, Check]>();
  for (const [name, check] of Object.entries(fields)) {
    byName.set(name, [name, check]);
    byName.set(snakeCase(name), [name, check]);
  }
  for (const [key, value] of Object.entries(object)) {
    const field = byName.get(key);
    if (field === undefined) {
      const known = Object.keys(fields).join(", ");
      problems.push(`${at || "the top level"}: unknown field "${key}" (fields: ${known})`);
    } else if (value !== null) {
      field[1](value, at ? `${at}.${field[0]}` : field[0], problems);
    }
  }
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function checkColumns(value: unknown, at: string, problems: string[]): void {
  if (!isObject(value)) {
    problems.push(`${at}: expected an object of column name to definition`);
    return;
  }
  for (const [name, definition] of Object.entries(value)) {
    checkEnum(definition, `${at}["${name}"]`, problems, {
      jsonNames: columnDefinitionJsonNames,
      shortNames: columnDefinitionNames,
      what: "a column definition",
    });
  }
}

function checkStrings(value: unknown, at: string, problems: string[]): void {
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    problems.push(`${at}: expected a list of column names`);
  }
}

function checkRule(value: unknown, at: string, problems: string[]): void {
  if (!isObject(value)) {
    problems.push(`${at}: expected a rule such as {"anyOf": [{"conditions": [...]}]}`);
    return;
  }
  checkFields(value, at, problems, { anyOf: checkGroups });
}

function checkGroups(value: unknown, at: string, problems: string[]): void {
  if (!Array.isArray(value)) {
    problems.push(`${at}: expected a list of condition groups`);
    return;
  }
  value.forEach((group, i) => {
    if (!isObject(group)) problems.push(`${at}[${i}]: expected {"conditions": [...]}`);
    else checkFields(group, `${at}[${i}]`, problems, { conditions: checkConditions });
  });
}

function checkConditions(value: unknown, at: string, problems: string[]): void {
  if (!Array.isArray(value)) {
    problems.push(`${at}: expected a list of conditions`);
    return;
  }
  value.forEach((condition, i) => {
    if (!isObject(condition)) {
      problems.push(`${at}[${i}]: expected {"column": …, "operator": …, "value": …}`);
      return;
    }
    checkFields(condition, `${at}[${i}]`, problems, {
      column: checkString,
      operator: (operator, path, list) =>
        checkEnum(operator, path, list, {
          jsonNames: operatorJsonNames,
          shortNames: operatorNames,
          what: "an operator",
        }),
      value: checkString,
    });
  });
}

function checkString(value: unknown, at: string, problems: string[]): void {
  if (typeof value !== "string") {
    problems.push(`${at}: expected a string, e.g. "${String(value)}"`);
  }
}

interface EnumNames {
  readonly jsonNames: readonly string[];
  readonly shortNames: readonly string[];
  readonly what: string;
}

function checkEnum(value: unknown, at: string, problems: string[], names: EnumNames): void {
  if (typeof value === "number" && Number.isInteger(value) && value > 0) {
    if (value <= names.jsonNames.length) return;
  }
  if (typeof value === "string" && names.jsonNames.includes(value)) return;
  const short = typeof value === "string" ? value.toUpperCase() : "";
  const index = names.shortNames.indexOf(short);
  if (index >= 0) {
    problems.push(`${at}: write "${names.jsonNames[index]}" (the protobuf JSON name)`);
    return;
  }
  problems.push(
    `${at}: ${JSON.stringify(value)} is not ${names.what}; use one of ${names.jsonNames.join(", ")}`,
  );
}
