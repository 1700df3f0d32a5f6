/**
 * What a column name alone suggests about the column, case-insensitively. Each name gets at most
 * one suggestion: the first rule below that matches, in this order:
 *
 * 1. the XES standard keys `case:concept:name` (CASE_ID), `concept:name` (ACTIVITY),
 *    `time:timestamp` (TIMESTAMP), `org:resource` (RESOURCE), `lifecycle:transition` (TRANSITION);
 * 2. any other `case:` name suggests nothing: in XES it is a trace attribute (`case:startdate`
 *    is when the case was opened, not when an event started);
 * 3. the synonyms `case id`, `case_id`, `caseid`, `case` (CASE_ID) and `activity`, `task`,
 *    `action` (ACTIVITY), matched whole (spaces, `_`, `-` and `.` count as one separator);
 * 4. a start word (`start`, `begin`, …) with a time word (`time`, `date`, `timestamp`,
 *    `datetime`) → START_TIMESTAMP; an end word (`end`, `finish`, `complete`, `stop`, …) with a
 *    time word → END_TIMESTAMP; as separate words (`start_time`, `StartDate`) or glued
 *    (`starttime`); a name with both a start and an end word counts as a start;
 * 5. names containing `timestamp` → TIMESTAMP, `duration` → DURATION, `cost` → COST,
 *    `transition` → TRANSITION (separators ignored, so `time_stamp` contains `timestamp`);
 * 6. a resource word as a whole word (`resource`, `user`, `agent`, `employee`, …) → RESOURCE.
 *
 * The strength orders candidates for the same role: XES keys (0) beat synonyms (1), which beat
 * patterns (2).
 */
import type { RoleDefinition } from "./column-definition.js";

export interface NameSuggestion {
  readonly definition: RoleDefinition;
  /** Lower is stronger. */
  readonly strength: 0 | 1 | 2;
}

const xesKeys: ReadonlyMap<string, RoleDefinition> = new Map([
  ["case:concept:name", "CASE_ID"],
  ["concept:name", "ACTIVITY"],
  ["time:timestamp", "TIMESTAMP"],
  ["org:resource", "RESOURCE"],
  ["lifecycle:transition", "TRANSITION"],
]);

const synonyms: ReadonlyMap<string, RoleDefinition> = new Map([
  ["case id", "CASE_ID"],
  ["caseid", "CASE_ID"],
  ["case", "CASE_ID"],
  ["activity", "ACTIVITY"],
  ["task", "ACTIVITY"],
  ["action", "ACTIVITY"],
]);

const startWords = ["start", "started", "begin", "beginning"];
const endWords = [
  "end",
  "ended",
  "finish",
  "finished",
  "complete",
  "completed",
  "completion",
  "stop",
  "stopped",
];
const timeWords = ["time", "date", "timestamp", "datetime"];

const containedWords: readonly (readonly [string, RoleDefinition])[] = [
  ["timestamp", "TIMESTAMP"],
  ["duration", "DURATION"],
  ["cost", "COST"],
  ["transition", "TRANSITION"],
];

const resourceWords: ReadonlySet<string> = new Set([
  "resource",
  "user",
  "username",
  "agent",
  "employee",
  "worker",
  "staff",
  "performer",
  "operator",
  "assignee",
  "executor",
  "actor",
]);

/** What `name` suggests, or undefined when it suggests nothing. */
export function suggestFromName(name: string): NameSuggestion | undefined {
  const lower = name.trim().toLowerCase();
  const xes = xesKeys.get(lower);
  if (xes) return { definition: xes, strength: 0 };
  if (lower.startsWith("case:")) return undefined;
  const synonym = synonyms.get(lower.replace(/[\s_.-]+/g, " "));
  if (synonym) return { definition: synonym, strength: 1 };
  const words = wordsOf(name);
  if (hasTimedWord(words, startWords)) return { definition: "START_TIMESTAMP", strength: 2 };
  if (hasTimedWord(words, endWords)) return { definition: "END_TIMESTAMP", strength: 2 };
  const compact = words.join("");
  for (const [word, definition] of containedWords) {
    if (compact.includes(word)) return { definition, strength: 2 };
  }
  if (words.some((word) => resourceWords.has(word))) {
    return { definition: "RESOURCE", strength: 2 };
  }
  return undefined;
}

/** Lower-case words of a name, split at non-letters/digits and at camelCase humps. */
export function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "");
}

/** A word of `kind` beside a time word, or both glued into one word (either order). */
function hasTimedWord(words: readonly string[], kind: readonly string[]): boolean {
  const hasKind = words.some((word) => kind.includes(word));
  const hasTime = words.some((word) => timeWords.includes(word));
  if (hasKind && hasTime) return true;
  return words.some((word) =>
    kind.some((k) => timeWords.some((t) => word === k + t || word === t + k)),
  );
}
