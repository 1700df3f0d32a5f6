/**
 * The columns of an XES log as they are found, and the definition each one's type hints.
 *
 * Names: a trace attribute `k` is the case attribute `case:k` (the case id is
 * `case:concept:name`); an event attribute keeps its key. Order: case attributes first, then
 * event attributes, each in the order first seen (a key declared by `<global>` is seen there).
 * An event key that equals a case attribute's name (`case:x` beside the trace's `x`) is the same
 * column, in the case attributes' place.
 *
 * Hints: a column whose values are all of types implying one hint (date: DATETIME, int and
 * float: NUMBER, boolean: BOOLEAN) gets that hint. A column mixing types that imply different
 * hints (a date here, a string there) gets none: its values are not all of one kind, so it is
 * TEXT unless its name infers a role or the consumer defines it.
 */
import type { TypedHint } from "../../../domain/event-log/index.js";
import { hintOf, type XesType } from "./attribute-types.js";
import type { Scope } from "./xes-walker.js";

/** A column's hint so far: a hint, none (string or id values), or mixed. */
type HintState = TypedHint | "none" | "mixed";

export class ColumnSet {
  private readonly caseColumns = new Map<string, HintState>();
  private readonly eventColumns = new Map<string, HintState>();

  /** Notes a key of a trace (`case:` column) or of an event, written with `type`. */
  note(scope: Scope, key: string, type: XesType): void {
    const name = scope === "trace" ? `case:${key}` : key;
    this.noteColumn(scope, name, hintOf(type) ?? "none");
  }

  /** Notes every column of `other` after the ones already here. */
  addAll(other: ColumnSet): void {
    for (const [name, hint] of other.caseColumns) this.noteColumn("trace", name, hint);
    for (const [name, hint] of other.eventColumns) this.noteColumn("event", name, hint);
  }

  get size(): number {
    return this.caseColumns.size + this.eventColumns.size;
  }

  clear(): void {
    this.caseColumns.clear();
    this.eventColumns.clear();
  }

  /** Column names in order. */
  names(): string[] {
    const names = [...this.caseColumns.keys()];
    for (const name of this.eventColumns.keys()) {
      if (!this.caseColumns.has(name)) names.push(name);
    }
    return names;
  }

  /** The hint of each column whose values all imply the same one. */
  typedHints(): Map<string, TypedHint> {
    const hints = new Map<string, TypedHint>();
    for (const name of this.names()) {
      const hint = combine(this.caseColumns.get(name), this.eventColumns.get(name));
      if (hint !== undefined && hint !== "none" && hint !== "mixed") hints.set(name, hint);
    }
    return hints;
  }

  private noteColumn(scope: Scope, name: string, hint: HintState): void {
    const columns = scope === "trace" ? this.caseColumns : this.eventColumns;
    const known = columns.get(name);
    if (known === undefined) columns.set(name, hint);
    else if (known !== hint && known !== "mixed") columns.set(name, "mixed");
  }
}

function combine(a: HintState | undefined, b: HintState | undefined): HintState | undefined {
  if (a === undefined) return b;
  if (b === undefined || a === b) return a;
  return "mixed";
}
