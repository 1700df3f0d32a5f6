/**
 * The rows of an event log read as events of cases: each row's case id, its cells checked and
 * made canonical (see RowPlan) as it arrives, so that a bad cell fails at its own line, in file
 * order, whatever the order cases are written in later; and the instant it is ordered by (from
 * the plan's time column). Events without an instant come after the others, ties keep file
 * order.
 */
import {
  CellValueError,
  type EffectiveDefinition,
  formatTimestamp,
  isCanonicalShape,
  isMissing,
  type LogEvent,
  readTimestamp,
} from "../../../domain/event-log/index.js";
import { DatasetError, emptyCaseIdError } from "../csv/errors.js";
import type { RowPlan, TypedCell } from "./row-plan.js";

/** One event of a case: its canonical cells in header order, its instant, its physical line. */
export interface CaseEvent extends LogEvent {
  readonly line: number;
}

/**
 * A typed column with the last cell it read: case attributes repeat on every event of a case,
 * and many logs repeat other values too, so most cells are read once per run of equal values.
 */
interface CachedCell {
  readonly typed: TypedCell;
  lastCell: string | undefined;
  lastCanonical: string;
}

export class CaseEventReader {
  /** The CASE_ID column's name and index in the header. */
  readonly caseColumn: string;
  readonly caseIndex: number;
  private readonly time: RowPlan["time"];
  private readonly cached: readonly CachedCell[];
  private lastTimeCell: string | undefined;
  private lastTime: number | null = null;
  private lastTimeCanonical = "";

  /** For a log whose header is the definition's columns, in order. */
  constructor(definition: EffectiveDefinition, plan: RowPlan) {
    const header = [...definition.columns.keys()];
    this.caseIndex = [...definition.columns.values()].indexOf("CASE_ID");
    this.caseColumn = header[this.caseIndex] ?? "";
    this.time = plan.time;
    this.cached = plan.typed.map((typed) => ({ typed, lastCell: undefined, lastCanonical: "" }));
  }

  /** The row's case id; throws DatasetError when it is empty. */
  caseIdOf(cells: readonly string[], line: number): string {
    const caseId = cells[this.caseIndex] ?? "";
    if (isMissing(caseId)) throw emptyCaseIdError(line, this.caseColumn, cells.join(","));
    return caseId;
  }

  /** The row as an event; throws DatasetError for a cell that does not read for its type. */
  eventOf(row: readonly string[], line: number): CaseEvent {
    const cells = row.slice();
    for (const cached of this.cached) {
      const index = cached.typed.index;
      const cell = cells[index] as string;
      if (cell !== cached.lastCell) {
        cached.lastCanonical = this.canonical(cached.typed, row, line);
        cached.lastCell = cell;
      }
      cells[index] = cached.lastCanonical;
    }
    if (this.time === undefined) return { cells, time: null, line };
    const index = this.time.index;
    const cell = cells[index] as string;
    if (cell !== this.lastTimeCell) this.readTime(cell, line);
    cells[index] = this.lastTimeCanonical;
    return { cells, time: this.lastTime, line };
  }

  private canonical(typed: TypedCell, row: readonly string[], line: number): string {
    try {
      return typed.canonical(row);
    } catch (error) {
      if (error instanceof CellValueError) throw new DatasetError(line, error.message);
      throw error;
    }
  }

  /** Reads a time cell as the training set's timestamp cells are written (trainingColumns). */
  private readTime(cell: string, line: number): void {
    let time: number | null = null;
    if (!isMissing(cell)) {
      const instant = readTimestamp(cell);
      if (instant === undefined) {
        const name = this.time?.name ?? "";
        throw new DatasetError(line, new CellValueError(name, cell, "timestamp").message);
      }
      time = instant;
    }
    this.lastTimeCell = cell;
    this.lastTime = time;
    // Many logs already write the canonical form: no need to write it again.
    this.lastTimeCanonical =
      time === null ? "" : isCanonicalShape(cell) ? cell : formatTimestamp(time);
  }
}

/** Sorts a case's events by time in place (stable: ties keep file order; timeless last). */
export function sortByTime(events: CaseEvent[]): CaseEvent[] {
  for (let i = 1; i < events.length; i++) {
    if (before(events[i - 1] as CaseEvent, events[i] as CaseEvent) > 0) {
      return events.sort(before);
    }
  }
  return events;
}

function before(a: CaseEvent, b: CaseEvent): number {
  if (a.time === null) return b.time === null ? 0 : 1;
  return b.time === null ? -1 : a.time - b.time;
}
