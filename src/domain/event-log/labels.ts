/**
 * The labels of one case, from the definition's rules or from label columns of the file.
 *
 * - OUTCOME: with positive_outcome, 1 when the case matches and 0 otherwise; with
 *   negative_outcome, 0 when it matches and 1 otherwise; with an OUTCOME column instead, its
 *   first non-empty value read as a boolean (1 for true). Absent when neither gives a value.
 * - TREATMENT: 1 or 0 from the treatment rule, else from a TREATMENT column like OUTCOME.
 * - TREATMENT_RESOURCE: with a treatment rule and a RESOURCE column, the resource of the first
 *   event that matched the treatment; absent when none matched or that cell is empty.
 * "First" is in time order, events without a time last, ties in the order given.
 */
import {
  type EffectiveDefinition,
  givenRule,
  indexOfDefinition,
  outcomeRule,
} from "./definition.js";
import { caseFactsFor, compileRule, type LogEvent } from "./rules.js";
import { isMissing, readBoolean } from "./values.js";

export interface CaseLabels {
  readonly outcome?: 0 | 1;
  readonly treatment?: 0 | 1;
  readonly treatmentResource?: string;
}

export type CaseLabeler = (events: readonly LogEvent[]) => CaseLabels;

/** Compiles the labelling of a validated definition, to apply to case after case. */
export function createLabeler(definition: EffectiveDefinition): CaseLabeler {
  const columns = definition.columns;
  const factsOf = caseFactsFor(columns);
  const outcome = outcomeRule(definition);
  const outcomeTest = outcome && compileRule(outcome.rule, columns);
  const treatmentRule = givenRule(definition.treatment);
  const treatmentTest = treatmentRule && compileRule(treatmentRule, columns);
  const outcomeColumn = indexOfDefinition(columns, "OUTCOME");
  const treatmentColumn = indexOfDefinition(columns, "TREATMENT");
  const resourceColumn = indexOfDefinition(columns, "RESOURCE");

  return (given) => {
    const events = inTimeOrder(given);
    const facts = factsOf(events);
    const labels: { outcome?: 0 | 1; treatment?: 0 | 1; treatmentResource?: string } = {};
    if (outcome && outcomeTest) {
      const matched = outcomeTest.firstMatch(events, facts) >= 0;
      labels.outcome = matched ? outcome.matchedOutcome : flip(outcome.matchedOutcome);
    } else {
      const flag = firstFlag(events, outcomeColumn);
      if (flag !== undefined) labels.outcome = flag;
    }
    if (treatmentTest) {
      const first = treatmentTest.firstMatch(events, facts);
      labels.treatment = first >= 0 ? 1 : 0;
      const resource = resourceColumn >= 0 ? events[first]?.cells[resourceColumn] : undefined;
      if (resource !== undefined && !isMissing(resource)) labels.treatmentResource = resource;
    } else {
      const flag = firstFlag(events, treatmentColumn);
      if (flag !== undefined) labels.treatment = flag;
    }
    return labels;
  };
}

/** The labels of one case; to label many cases, create the labeler once. */
export function caseLabels(
  events: readonly LogEvent[],
  definition: EffectiveDefinition,
): CaseLabels {
  return createLabeler(definition)(events);
}

function flip(flag: 0 | 1): 0 | 1 {
  return flag === 1 ? 0 : 1;
}

/** The first non-empty cell of column `index` read as 0/1; unreadable cells are skipped. */
function firstFlag(events: readonly LogEvent[], index: number): 0 | 1 | undefined {
  if (index < 0) return undefined;
  for (const event of events) {
    const flag = readBoolean(event.cells[index] ?? "");
    if (flag !== undefined) return flag ? 1 : 0;
  }
  return undefined;
}

/** The events sorted by time (stable, timeless last); the same array when already sorted. */
function inTimeOrder(events: readonly LogEvent[]): readonly LogEvent[] {
  const before = (a: LogEvent, b: LogEvent) =>
    a.time === null ? (b.time === null ? 0 : 1) : b.time === null ? -1 : a.time - b.time;
  for (let i = 1; i < events.length; i++) {
    const [previous, current] = [events[i - 1], events[i]];
    if (previous && current && before(previous, current) > 0) return [...events].sort(before);
  }
  return events;
}
