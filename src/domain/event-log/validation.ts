/**
 * Validation of an event-log definition against the log's header. It reports every problem at
 * once, each naming the column and what to do, so the caller can refuse the request with one
 * message. A valid definition has:
 * - only header columns in `columns` and `case_attributes`, and no UNSPECIFIED definition;
 * - a `case_id_column` (legacy) that agrees with `columns`;
 * - exactly one CASE_ID and one ACTIVITY column, and at most one column per other role;
 * - a TIMESTAMP column, or both a START_TIMESTAMP and an END_TIMESTAMP column;
 * - case attributes that are TEXT, NUMBER, BOOLEAN or DATETIME columns;
 * - at most one source per label: positive_outcome, negative_outcome or an OUTCOME column, and
 *   a treatment rule or a TREATMENT column;
 * - conditions that fit their columns (ruleProblems).
 */
import {
  type ColumnDefinition,
  columnDefinitions,
  type RoleDefinition,
  roleDefinitions,
} from "./column-definition.js";
import {
  columnsDefinedAs,
  type EffectiveDefinition,
  type EventLogDefinition,
  givenRule,
} from "./definition.js";
import { type DefinitionSources, effectiveDefinition, inferDefinitions } from "./inference.js";
import { legacyCaseColumnConflict } from "./legacy-case-column.js";
import { definitionList, quotedList } from "./messages.js";
import { ruleProblems } from "./rule-validation.js";

export type ResolvedDefinition =
  | { readonly ok: true; readonly definition: EffectiveDefinition }
  | { readonly ok: false; readonly problems: readonly string[] };

/** The effective definition of a request, or every problem that keeps it from being valid. */
export function resolveDefinition(
  header: readonly string[],
  requested: EventLogDefinition,
  sources: DefinitionSources = {},
): ResolvedDefinition {
  const problems = validateDefinition(header, requested, sources);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, definition: effectiveDefinition(header, requested, sources) };
}

/** Every problem of the requested definition for a log with this header; empty when valid. */
export function validateDefinition(
  header: readonly string[],
  requested: EventLogDefinition,
  sources: DefinitionSources = {},
): string[] {
  const known = new Set(header);
  const columnsAre = `the columns are ${quotedList(header)}`;
  const problems: string[] = [];
  const legacy = sources.caseIdColumn?.trim() ?? "";
  const conflict = legacyCaseColumnConflict(requested.columns, legacy);
  if (conflict) problems.push(conflict);
  if (legacy !== "" && !known.has(legacy)) {
    problems.push(
      `case_id_column names ${JSON.stringify(legacy)}, not in the header; ${columnsAre}`,
    );
  }
  for (const [name, definition] of requested.columns) {
    if (!known.has(name)) {
      problems.push(
        `the definition names column ${JSON.stringify(name)}, not in the header; ${columnsAre}`,
      );
    } else if (definition === "UNSPECIFIED") {
      problems.push(
        `column ${JSON.stringify(name)} is UNSPECIFIED, which is not a definition: define it as ` +
          `one of ${columnDefinitions.join(", ")}, or leave it out to have it inferred`,
      );
    }
  }
  const effective = effectiveDefinition(header, requested, sources);
  problems.push(
    ...roleProblems(header, effective),
    ...caseAttributeProblems(effective, known, columnsAre),
    ...labelSourceProblems(effective),
    ...ruleProblems(effective),
  );
  return problems;
}

function roleProblems(header: readonly string[], effective: EffectiveDefinition): string[] {
  const problems: string[] = [];
  const holders = (role: RoleDefinition) => columnsDefinedAs(effective.columns, role);
  const inferred = `inferred: ${definitionList(inferDefinitions(header))}`;
  const notEventLog = (role: RoleDefinition) =>
    `no ${role} column, so this is not an event log as defined: define one of ` +
    `${quotedList(header)} as ${role} (${inferred})`;
  for (const role of roleDefinitions) {
    const names = holders(role);
    if (names.length > 1) {
      problems.push(
        `${names.length} columns are ${role} (${quotedList(names)}): keep one and define the ` +
          "others as TEXT, another definition, or IGNORED",
      );
    }
  }
  if (holders("CASE_ID").length === 0) problems.push(notEventLog("CASE_ID"));
  if (holders("ACTIVITY").length === 0) problems.push(notEventLog("ACTIVITY"));
  const [start] = holders("START_TIMESTAMP");
  const [end] = holders("END_TIMESTAMP");
  if (holders("TIMESTAMP").length > 0 || (start && end)) return problems;
  if (start) {
    problems.push(
      `${JSON.stringify(start)} is START_TIMESTAMP but no column is END_TIMESTAMP: define ` +
        "the column of when events end as END_TIMESTAMP, or define " +
        `${JSON.stringify(start)} as TIMESTAMP`,
    );
  } else if (end) {
    problems.push(
      `${JSON.stringify(end)} is END_TIMESTAMP but no column is START_TIMESTAMP: define ` +
        "the column of when events start as START_TIMESTAMP, or define " +
        `${JSON.stringify(end)} as TIMESTAMP`,
    );
  } else {
    problems.push(
      `no TIMESTAMP column: define one of ${quotedList(header)} as TIMESTAMP, or one as ` +
        `START_TIMESTAMP and one as END_TIMESTAMP (${inferred})`,
    );
  }
  return problems;
}

const caseAttributeDefinitions: readonly ColumnDefinition[] = [
  "TEXT",
  "NUMBER",
  "BOOLEAN",
  "DATETIME",
];

function caseAttributeProblems(
  effective: EffectiveDefinition,
  known: ReadonlySet<string>,
  columnsAre: string,
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of effective.caseAttributes) {
    const quoted = JSON.stringify(name);
    const definition = effective.columns.get(name);
    if (!known.has(name) || definition === undefined) {
      problems.push(`case_attributes names ${quoted}, not in the header; ${columnsAre}`);
    } else if (seen.has(name)) {
      problems.push(`case_attributes lists ${quoted} twice: list it once`);
    } else if (!caseAttributeDefinitions.includes(definition)) {
      problems.push(
        `case attribute ${quoted} is ${definition}: only TEXT, NUMBER, BOOLEAN or DATETIME ` +
          "columns can be case attributes; remove it from case_attributes or define it as " +
          "one of those",
      );
    }
    seen.add(name);
  }
  return problems;
}

function labelSourceProblems(effective: EffectiveDefinition): string[] {
  const problems: string[] = [];
  const positive = givenRule(effective.positiveOutcome);
  const negative = givenRule(effective.negativeOutcome);
  if (positive && negative) {
    problems.push(
      "both positive_outcome and negative_outcome are given: keep one " +
        "(negative_outcome is the inverse: a matching case gets OUTCOME 0)",
    );
  }
  const [outcomeColumn] = columnsDefinedAs(effective.columns, "OUTCOME");
  if (outcomeColumn && (positive || negative)) {
    problems.push(
      `${JSON.stringify(outcomeColumn)} is the OUTCOME column and an outcome rule is given too: ` +
        `drop the rule, or define ${JSON.stringify(outcomeColumn)} as BOOLEAN or IGNORED`,
    );
  }
  const [treatmentColumn] = columnsDefinedAs(effective.columns, "TREATMENT");
  if (treatmentColumn && givenRule(effective.treatment)) {
    problems.push(
      `${JSON.stringify(treatmentColumn)} is the TREATMENT column and a treatment rule is given ` +
        `too: drop the rule, or define ${JSON.stringify(treatmentColumn)} as BOOLEAN or IGNORED`,
    );
  }
  return problems;
}
