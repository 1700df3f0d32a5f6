/**
 * The event-log definition as a consumer requests it and as the core understands it. A request
 * may hold UNSPECIFIED values and name columns that do not exist; validation reports those. The
 * effective definition gives every header column exactly one valid ColumnDefinition.
 */
import type {
  ColumnDefinition,
  RequestedColumnDefinition,
  RequestedOperator,
} from "./column-definition.js";

export interface Condition {
  /** A header name, the fixed name of a defined column (`ACTIVITY`, …), or `DURATION`. */
  readonly column: string;
  readonly operator: RequestedOperator;
  /** Empty for IS_TRUE and IS_FALSE. */
  readonly value: string;
}

/** Every condition of a group holds for one and the same event. */
export interface ConditionGroup {
  readonly conditions: readonly Condition[];
}

/**
 * A case matches when some event of it satisfies every condition of at least one group. A rule
 * without groups matches nothing and counts as not given (an unset protobuf message and an empty
 * one read the same).
 */
export interface CaseRule {
  readonly anyOf: readonly ConditionGroup[];
}

export interface DefinitionRules {
  readonly caseAttributes: readonly string[];
  readonly positiveOutcome?: CaseRule | undefined;
  readonly negativeOutcome?: CaseRule | undefined;
  readonly treatment?: CaseRule | undefined;
}

/** The definition a consumer sends: column meanings for some columns, rules, case attributes. */
export interface EventLogDefinition extends DefinitionRules {
  readonly columns: ReadonlyMap<string, RequestedColumnDefinition>;
}

/** The definition the core works with: every header column, in header order, has a meaning. */
export interface EffectiveDefinition extends DefinitionRules {
  readonly columns: ReadonlyMap<string, ColumnDefinition>;
}

export const emptyDefinition: EventLogDefinition = { columns: new Map(), caseAttributes: [] };

/** The rule if it has at least one group, else undefined. */
export function givenRule(rule: CaseRule | undefined): CaseRule | undefined {
  return rule !== undefined && rule.anyOf.length > 0 ? rule : undefined;
}

/** The outcome rule in use and whether a match means OUTCOME 1 (positive) or 0 (negative). */
export function outcomeRule(
  definition: DefinitionRules,
): { readonly rule: CaseRule; readonly matchedOutcome: 0 | 1 } | undefined {
  const positive = givenRule(definition.positiveOutcome);
  if (positive) return { rule: positive, matchedOutcome: 1 };
  const negative = givenRule(definition.negativeOutcome);
  if (negative) return { rule: negative, matchedOutcome: 0 };
  return undefined;
}

/** The header columns that hold `definition`, in header order. */
export function columnsDefinedAs(
  columns: ReadonlyMap<string, ColumnDefinition | RequestedColumnDefinition>,
  definition: ColumnDefinition,
): string[] {
  const names: string[] = [];
  for (const [name, value] of columns) if (value === definition) names.push(name);
  return names;
}

/** Index in header order of the first column holding `definition`; -1 when none does. */
export function indexOfDefinition(
  columns: ReadonlyMap<string, ColumnDefinition>,
  definition: ColumnDefinition,
): number {
  let index = 0;
  for (const value of columns.values()) {
    if (value === definition) return index;
    index++;
  }
  return -1;
}
