/**
 * Definitions inferred from header names, and the effective definition of a log.
 *
 * Inference gives each role (CASE_ID, ACTIVITY, TIMESTAMP, …) to at most one column: among the
 * columns whose name suggests the role (suggestFromName), the strongest suggestion wins, then the
 * earliest in the header; the others stay unset. Timing columns are chosen together:
 * - with a TIMESTAMP candidate, or with both a start and an end candidate, each of TIMESTAMP,
 *   START_TIMESTAMP and END_TIMESTAMP goes to its best candidate (a log with `time:timestamp`
 *   and `start_timestamp` gets both, the way process-mining tools write interval logs);
 * - a lone start or end column (`start_time` with nothing else timed) becomes the TIMESTAMP, so
 *   that the log has a time to order events by.
 *
 * The effective definition of a column is, in this order: the definition given for it; the role
 * inferred from its name, if the column's typed hint can hold that role's values; the typed hint
 * (XES types: date → DATETIME, int and float → NUMBER, boolean → BOOLEAN); TEXT. Inference
 * comes before hints because a hint only says "a date", while `time:timestamp` is typed date in
 * every XES log and must still be the TIMESTAMP. Roles already given are not inferred again.
 */
import {
  type ColumnDefinition,
  isColumnDefinition,
  type RoleDefinition,
  valueTypeOf,
} from "./column-definition.js";
import type { EffectiveDefinition, EventLogDefinition } from "./definition.js";
import { withLegacyCaseColumn } from "./legacy-case-column.js";
import { type NameSuggestion, suggestFromName } from "./name-rules.js";

/** The definition a typed value implies (XES attribute types); untyped values give none. */
export type TypedHint = "DATETIME" | "NUMBER" | "BOOLEAN";

export interface DefinitionSources {
  /** Per column, the type its values were written with (XES); absent for CSV. */
  readonly typedHints?: ReadonlyMap<string, TypedHint>;
  /** The legacy `case_id_column` request field; '' or absent for none. */
  readonly caseIdColumn?: string;
}

/** The inferable roles that are chosen alone; the timing roles are chosen together. */
const untimedRoles = ["CASE_ID", "ACTIVITY", "RESOURCE", "TRANSITION", "DURATION", "COST"] as const;

interface Candidate {
  readonly name: string;
  readonly index: number;
  readonly strength: NameSuggestion["strength"];
}

/** The roles the header names suggest; columns not inferred are absent. */
export function inferDefinitions(header: readonly string[]): Map<string, ColumnDefinition> {
  return inferRoles(header, new Map(), new Map());
}

/** Every header column's definition: given, else inferred, else hinted, else TEXT. */
export function effectiveDefinition(
  header: readonly string[],
  given: EventLogDefinition,
  sources: DefinitionSources = {},
): EffectiveDefinition {
  const hints = sources.typedHints ?? new Map<string, TypedHint>();
  const requested = withLegacyCaseColumn(given.columns, sources.caseIdColumn ?? "");
  const defined = new Map<string, ColumnDefinition>();
  for (const name of header) {
    const value = requested.get(name);
    if (value !== undefined && isColumnDefinition(value)) defined.set(name, value);
  }
  const inferred = inferRoles(header, defined, hints);
  const columns = new Map<string, ColumnDefinition>();
  for (const name of header) {
    columns.set(name, defined.get(name) ?? inferred.get(name) ?? hints.get(name) ?? "TEXT");
  }
  return {
    columns,
    caseAttributes: given.caseAttributes,
    positiveOutcome: given.positiveOutcome,
    negativeOutcome: given.negativeOutcome,
    treatment: given.treatment,
  };
}

function inferRoles(
  header: readonly string[],
  defined: ReadonlyMap<string, ColumnDefinition>,
  hints: ReadonlyMap<string, TypedHint>,
): Map<string, ColumnDefinition> {
  const candidates = new Map<RoleDefinition, Candidate[]>();
  header.forEach((name, index) => {
    if (defined.has(name)) return;
    const suggestion = suggestFromName(name);
    if (!suggestion || !hintAllows(hints.get(name), suggestion.definition)) return;
    const list = candidates.get(suggestion.definition) ?? [];
    list.push({ name, index, strength: suggestion.strength });
    candidates.set(suggestion.definition, list);
  });
  const best = (role: RoleDefinition): Candidate | undefined =>
    candidates.get(role)?.reduce((a, b) => (stronger(b, a) ? b : a));
  const taken = new Set(defined.values());
  const result = new Map<string, ColumnDefinition>();
  const assign = (role: RoleDefinition, candidate: Candidate | undefined): void => {
    if (candidate && !taken.has(role)) result.set(candidate.name, role);
  };

  for (const role of untimedRoles) assign(role, best(role));
  const timestamp = best("TIMESTAMP");
  const start = best("START_TIMESTAMP");
  const end = best("END_TIMESTAMP");
  const hasTimestamp = timestamp !== undefined || taken.has("TIMESTAMP");
  const hasStart = start !== undefined || taken.has("START_TIMESTAMP");
  const hasEnd = end !== undefined || taken.has("END_TIMESTAMP");
  if (hasTimestamp || (hasStart && hasEnd)) {
    assign("TIMESTAMP", timestamp);
    assign("START_TIMESTAMP", start);
    assign("END_TIMESTAMP", end);
  } else if (!taken.has("START_TIMESTAMP") && !taken.has("END_TIMESTAMP")) {
    const lone = [start, end].filter((c) => c !== undefined).reduce(pickStronger, undefined);
    assign("TIMESTAMP", lone);
  }
  return result;
}

function stronger(a: Candidate, b: Candidate): boolean {
  return a.strength < b.strength || (a.strength === b.strength && a.index < b.index);
}

function pickStronger(a: Candidate | undefined, b: Candidate): Candidate {
  return a === undefined || stronger(b, a) ? b : a;
}

/** A role wins over a typed hint only when the hinted values can be that role's values. */
function hintAllows(hint: TypedHint | undefined, role: RoleDefinition): boolean {
  if (hint === undefined) return true;
  switch (valueTypeOf(role)) {
    case "text":
      return true;
    case "timestamp":
      return hint === "DATETIME";
    case "number":
    case "duration":
      return hint === "NUMBER";
    default:
      return hint === "BOOLEAN";
  }
}
