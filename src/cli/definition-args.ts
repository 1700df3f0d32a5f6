/**
 * The definition options of `project create`: `--column NAME=DEFINITION`, `--case-attribute
 * NAME` and `--definition FILE.json`, merged into the request's EventLogDefinition. The file
 * comes first; `--column` sets a column's definition over the file's, `--case-attribute` adds to
 * the file's list. Rules come only from the file.
 */
import { InvalidArgumentError } from "commander";
import type { ColumnDefinition, EventLogDefinition } from "../gen/trainingcore/v1/definition.js";
import { columnDefinitionNamed, columnDefinitionNames } from "./definition-names.js";

/** One `--column` value. */
export interface ColumnSetting {
  readonly name: string;
  readonly definition: ColumnDefinition;
}

/**
 * Parses `NAME=DEFINITION`, e.g. `case:concept:name=case_id`. The definition follows the last
 * `=` (a header name may hold one, a definition never does) and is read in any case.
 */
export function parseColumnSetting(text: string): ColumnSetting {
  const equals = text.lastIndexOf("=");
  const name = equals < 0 ? "" : text.slice(0, equals);
  if (name === "") {
    throw new InvalidArgumentError(
      `expected NAME=DEFINITION (e.g. "Case ID=case_id"), got ${JSON.stringify(text)}`,
    );
  }
  const given = text.slice(equals + 1);
  const definition = columnDefinitionNamed(given);
  if (definition === undefined) {
    const short = given.replace(/^column_definition_/i, "");
    throw new InvalidArgumentError(
      short !== given && columnDefinitionNamed(short) !== undefined
        ? `write the definition without its prefix: ${name}=${short.toLowerCase()}`
        : `${JSON.stringify(given)} is not a column definition; use one of ${validNames()}`,
    );
  }
  return { name, definition };
}

function validNames(): string {
  return columnDefinitionNames.map((name) => name.toLowerCase()).join(", ");
}

export interface DefinitionOptions {
  /** From `--definition`; undefined when not given. */
  readonly file?: EventLogDefinition | undefined;
  readonly columns: readonly ColumnSetting[];
  readonly caseAttributes: readonly string[];
}

/**
 * The definition to send; undefined when no definition option was given, so that the project
 * is created as before definitions existed (the training set keeps the file's header).
 */
export function mergeDefinition(options: DefinitionOptions): EventLogDefinition | undefined {
  const { file, columns, caseAttributes } = options;
  if (file === undefined && columns.length === 0 && caseAttributes.length === 0) {
    return undefined;
  }
  // A Map, then fromEntries: own properties even for a header named `__proto__`.
  const merged = new Map(Object.entries(file?.columns ?? {}));
  for (const { name, definition } of columns) merged.set(name, definition);
  return {
    columns: Object.fromEntries(merged),
    caseAttributes: [...new Set([...(file?.caseAttributes ?? []), ...caseAttributes])],
    positiveOutcome: file?.positiveOutcome,
    negativeOutcome: file?.negativeOutcome,
    treatment: file?.treatment,
  };
}
