/**
 * Whether a training set can serve a plugin that declares `needed_columns`. A role is there when
 * the training set has the column of that name; an attribute type (TEXT, NUMBER, BOOLEAN,
 * DATETIME, CATEGORICAL) when some attribute column of that type is. A needed OUTCOME or
 * TREATMENT must also have both classes among the cases. The detail says what is missing and how
 * to define it; the core sets the membership NOT_APPLICABLE with it.
 */
import type { RequestedColumnDefinition } from "./column-definition.js";

export interface LabelCounts {
  /** Cases labelled 0. */
  readonly zeros: number;
  /** Cases labelled 1. */
  readonly ones: number;
}

export interface TrainingSetSummary {
  /** The training set's header. */
  readonly columns: readonly string[];
  readonly outcome?: LabelCounts;
  readonly treatment?: LabelCounts;
}

const howToDefine: Partial<Record<RequestedColumnDefinition, string>> = {
  OUTCOME: "define positive_outcome or negative_outcome, or an OUTCOME column",
  TREATMENT: "define a treatment rule, or a TREATMENT column",
  RESOURCE: "define the column of who performed each event as RESOURCE",
  START_TIMESTAMP: "define the column of when events start as START_TIMESTAMP",
  END_TIMESTAMP: "define the column of when events end as END_TIMESTAMP",
};

const attributePrefixes: Partial<Record<RequestedColumnDefinition, readonly string[]>> = {
  TEXT: ["CASE_ATTRIBUTE_TEXT_", "EVENT_ATTRIBUTE_TEXT_"],
  NUMBER: ["CASE_ATTRIBUTE_NUMBER_", "EVENT_ATTRIBUTE_NUMBER_"],
  BOOLEAN: ["CASE_ATTRIBUTE_BOOLEAN_", "EVENT_ATTRIBUTE_BOOLEAN_"],
  DATETIME: ["CASE_ATTRIBUTE_DATETIME_", "EVENT_ATTRIBUTE_DATETIME_"],
  CATEGORICAL: ["CATEGORICAL_"],
};

/** Why the plugin cannot use this training set, one entry per unmet need; empty when it can. */
export function unmetNeeds(
  needed: readonly RequestedColumnDefinition[],
  summary: TrainingSetSummary,
): string[] {
  const present = new Set(summary.columns);
  const problems: string[] = [];
  for (const need of new Set(needed)) {
    if (need === "UNSPECIFIED" || need === "IGNORED") continue;
    const prefixes = attributePrefixes[need];
    if (prefixes) {
      if (!summary.columns.some((column) => prefixes.some((p) => column.startsWith(p)))) {
        problems.push(`needs a ${need} attribute: define a column as ${need}`);
      }
    } else if (!present.has(need)) {
      problems.push(`needs ${need}: ${howToDefine[need] ?? `define a column as ${need}`}`);
    } else if (need === "OUTCOME" || need === "TREATMENT") {
      const problem = classProblem(need, need === "OUTCOME" ? summary.outcome : summary.treatment);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

/** The NOT_APPLICABLE detail for a plugin with these needs, or undefined when it applies. */
export function notApplicableDetail(
  needed: readonly RequestedColumnDefinition[],
  summary: TrainingSetSummary,
): string | undefined {
  const problems = unmetNeeds(needed, summary);
  return problems.length > 0 ? problems.join("; ") : undefined;
}

function classProblem(label: "OUTCOME" | "TREATMENT", counts: LabelCounts | undefined) {
  const { zeros = 0, ones = 0 } = counts ?? {};
  const rule = label === "OUTCOME" ? "the outcome rule or column" : "the treatment rule or column";
  if (zeros + ones === 0) {
    return `${label} has no value in any case: change ${rule} so that every case gets 0 or 1`;
  }
  if (zeros === 0 || ones === 0) {
    const only = zeros === 0 ? `all 1, ${ones} cases` : `all 0, ${zeros} cases`;
    return (
      `${label} has only one class (${only}): change ${rule} so that some cases get 1 ` +
      "and others 0"
    );
  }
  return undefined;
}
