/**
 * A posted event as the training set would hold it: the project's definition read without
 * labels (as for a dataset of running cases, see `runningCasesDefinition`) and the training
 * set's row plan applied to one row. Checks that the event carries the CASE_ID, ACTIVITY and
 * time columns and that every typed value parses; the error names the column and the value.
 */
import {
  CellValueError,
  columnsDefinedAs,
  type EffectiveDefinition,
  effectiveDefinitionFromJson,
  formatTimestamp,
  isMissing,
  readTimestamp,
  trainingColumns,
} from "../../../domain/event-log/index.js";
import { type RowPlan, rowPlan } from "../../preprocessing/event-log/row-plan.js";
import { runningCasesDefinition } from "../jobs/running-cases-definition.js";

export interface NormalizedEvent {
  readonly caseId: string;
  /** The event's instant (its time column). */
  readonly timeMs: number;
  /** Training-set column names to canonical values, empty cells left out. */
  readonly normalized: Record<string, string>;
}

/** Why an event cannot be read: the column and the value (or that it is missing). */
export class EventValueError extends Error {
  override readonly name = "EventValueError";
}

export interface EventNormalizer {
  /** The columns every event must carry, with what the definition names them. */
  readonly required: readonly { readonly column: string; readonly definition: string }[];
  normalize(attributes: Readonly<Record<string, string>>): NormalizedEvent;
  /** Training-set column name → the original column it comes from (for replaying a set). */
  readonly originalNames: ReadonlyMap<string, string>;
}

const labelDefinitions: ReadonlySet<string> = new Set(["OUTCOME", "TREATMENT"]);
const timeDefinitions = ["TIMESTAMP", "START_TIMESTAMP", "END_TIMESTAMP"] as const;

/** The normalizer of a project's events, from its effective definition (JSON). */
export function eventNormalizer(effectiveJson: string): EventNormalizer {
  const effective = effectiveDefinitionFromJson(effectiveJson);
  const header = [...effective.columns]
    .filter(([, definition]) => !labelDefinitions.has(definition))
    .map(([name]) => name);
  const definition = runningCasesDefinition(effectiveJson, header);
  const plan = rowPlan(definition);
  const caseColumn = columnsDefinedAs(definition.columns, "CASE_ID")[0];
  const activityColumn = columnsDefinedAs(definition.columns, "ACTIVITY")[0];
  const required: { column: string; definition: string }[] = [];
  if (caseColumn !== undefined) required.push({ column: caseColumn, definition: "CASE_ID" });
  if (activityColumn !== undefined) {
    required.push({ column: activityColumn, definition: "ACTIVITY" });
  }
  for (const role of timeDefinitions) {
    for (const column of columnsDefinedAs(definition.columns, role)) {
      required.push({ column, definition: role });
    }
  }
  const originalNames = new Map<string, string>();
  for (const column of trainingColumns(header, definition)) {
    if (column.source !== undefined) originalNames.set(column.name, column.source);
  }
  return {
    required,
    originalNames,
    normalize: (attributes) => normalizeWith(definition, plan, header, required, attributes),
  };
}

function normalizeWith(
  definition: EffectiveDefinition,
  plan: RowPlan,
  header: readonly string[],
  required: readonly { column: string; definition: string }[],
  attributes: Readonly<Record<string, string>>,
): NormalizedEvent {
  for (const { column, definition: role } of required) {
    const value = attributes[column];
    if (value === undefined || isMissing(value)) {
      throw new EventValueError(
        `column ${JSON.stringify(column)} (${role}) is ${value === undefined ? "missing" : `empty (${JSON.stringify(value)})`}`,
      );
    }
  }
  const row = header.map((name) => attributes[name] ?? "");
  const canonical = [...row];
  try {
    for (const typed of plan.typed) canonical[typed.index] = typed.canonical(row);
  } catch (error) {
    if (error instanceof CellValueError) {
      throw new EventValueError(
        `column ${JSON.stringify(error.column)}: value ${JSON.stringify(error.value.slice(0, 200))} is not a ${error.type}`,
      );
    }
    throw error;
  }
  let timeMs = 0;
  if (plan.time !== undefined) {
    const cell = row[plan.time.index] ?? "";
    const instant = readTimestamp(cell);
    if (instant === undefined) {
      throw new EventValueError(
        `column ${JSON.stringify(plan.time.name)}: value ${JSON.stringify(cell.slice(0, 200))} is not a timestamp`,
      );
    }
    timeMs = instant;
    canonical[plan.time.index] = formatTimestamp(instant);
  }
  const normalized: Record<string, string> = {};
  plan.names.forEach((name, i) => {
    const output = plan.outputs[i];
    if (!output) return;
    const value = output.index >= 0 ? (canonical[output.index] ?? "") : (output.label?.({}) ?? "");
    if (value !== "") normalized[name] = value;
  });
  const caseColumn = columnsDefinedAs(definition.columns, "CASE_ID")[0];
  const caseId = caseColumn === undefined ? "" : (attributes[caseColumn] ?? "");
  return { caseId, timeMs, normalized };
}
