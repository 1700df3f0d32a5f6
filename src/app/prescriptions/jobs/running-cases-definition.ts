/**
 * The definition a dataset of running cases is read with: the project's effective definition
 * without labels (a running case has no known outcome): no outcome or treatment rule, and an
 * OUTCOME or TREATMENT column of the file ignored. The running-cases set so has the training
 * set's columns but OUTCOME, TREATMENT and TREATMENT_RESOURCE.
 *
 * The dataset's header must hold every other column the definition names (the columns of the
 * project's original event log); what it lacks is named, the CASE_ID, ACTIVITY and time columns
 * first.
 */
import { AppError } from "../../../domain/errors.js";
import {
  type EffectiveDefinition,
  type EventLogDefinition,
  effectiveDefinitionFromJson,
  type RequestedColumnDefinition,
  resolveDefinition,
  type TypedHint,
} from "../../../domain/event-log/index.js";

const labelDefinitions: ReadonlySet<string> = new Set(["OUTCOME", "TREATMENT"]);
const keyDefinitions = ["CASE_ID", "ACTIVITY", "TIMESTAMP", "START_TIMESTAMP", "END_TIMESTAMP"];

/** The definition running cases with this header are read with; INVALID_ARGUMENT if they cannot be. */
export function runningCasesDefinition(
  effectiveJson: string,
  header: readonly string[],
  typedHints: ReadonlyMap<string, TypedHint> = new Map(),
): EffectiveDefinition {
  const effective = effectiveDefinitionFromJson(effectiveJson);
  const present = new Set(header);
  const missing = [...effective.columns]
    .filter(([name, definition]) => !present.has(name) && !labelDefinitions.has(definition))
    .sort(([, a], [, b]) => rank(a) - rank(b));
  if (missing.length > 0) {
    throw new AppError(
      "INVALID_ARGUMENT",
      `the dataset lacks ${missing.length === 1 ? "a column" : "columns"} of the project's event log: ` +
        `${missing.map(([name, definition]) => `${JSON.stringify(name)} (${definition})`).join(", ")}; ` +
        `its columns are ${header.map((name) => JSON.stringify(name)).join(", ")}`,
    );
  }
  const columns = new Map<string, RequestedColumnDefinition>();
  for (const [name, definition] of effective.columns) {
    if (!labelDefinitions.has(definition)) columns.set(name, definition);
    else if (present.has(name)) columns.set(name, "IGNORED");
  }
  const requested: EventLogDefinition = {
    columns,
    caseAttributes: effective.caseAttributes.filter((name) => columns.get(name) !== "IGNORED"),
  };
  const resolved = resolveDefinition(header, requested, { typedHints });
  if (!resolved.ok) {
    throw new AppError(
      "INVALID_ARGUMENT",
      `the project's definition does not fit the dataset: ${resolved.problems.join("; ")}`,
    );
  }
  return resolved.definition;
}

function rank(definition: string): number {
  const index = keyDefinitions.indexOf(definition);
  return index < 0 ? keyDefinitions.length : index;
}
