/** Shared wording of messages that list columns. */

const MAX_LISTED = 30;

/** `"a", "b", "c"`, cut to the first 30 names with `and N more`; `none` for an empty list. */
export function quotedList(names: readonly string[]): string {
  if (names.length === 0) return "none";
  const listed = names.slice(0, MAX_LISTED).map((name) => JSON.stringify(name));
  const more = names.length - listed.length;
  return listed.join(", ") + (more > 0 ? ` and ${more} more` : "");
}

/** `"a" as ACTIVITY, "b" as TIMESTAMP`, or `nothing`. */
export function definitionList(columns: ReadonlyMap<string, string>): string {
  if (columns.size === 0) return "nothing";
  const entries = [...columns].slice(0, MAX_LISTED);
  const listed = entries.map(([name, definition]) => `${JSON.stringify(name)} as ${definition}`);
  const more = columns.size - entries.length;
  return listed.join(", ") + (more > 0 ? ` and ${more} more` : "");
}
