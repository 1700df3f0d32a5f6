/**
 * The rows of an event log read as events of cases: each row's case id, its cells checked and
 * made canonical (see RowPlan) as it arrives, so that a bad cell fails at its own line, in file
 * order, whatever the order cases are written in later; and the instant it is ordered by.
 *
 * Events are ordered by their TIMESTAMP, else their START_TIMESTAMP (interval logs), else their
 * END_TIMESTAMP; events without one come after the others, ties keep file order.
 */
import {
  CellValueError,
  type EffectiveDefinition,
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

const timeRoles = ["TIMESTAMP", "START_TIMESTAMP", "END_TIMESTAMP"] as const;

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
  private readonly timeIndex: number;
  private readonly cached: readonly CachedCell[];
  private lastTimeCell: string | undefined;
  private lastTime: number | null = null;

  /** For a log whose header is the definition's columns, in order. */
  constructor(definition: EffectiveDefinition, plan: RowPlan) {
    const header = [...definition.columns.keys()];
    const definitions = [...definition.columns.values()];
    this.caseIndex = definitions.indexOf("CASE_ID");
    this.caseColumn = header[this.caseIndex] ?? "";
    const timeRole = timeRoles.find((role) => definitions.includes(role));
    this.timeIndex = timeRole === undefined ? -1 : definitions.indexOf(timeRole);
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
    return { cells, time: this.timeOf(cells), line };
  }

  private canonical(typed: TypedCell, row: readonly string[], line: number): string {
    try {
      return typed.canonical(row);
    } catch (error) {
      if (error instanceof CellValueError) throw new DatasetError(line, error.message);
      throw error;
    }
  }

  private timeOf(cells: readonly string[]): number | null {
    if (this.timeIndex < 0) return null;
    const cell = cells[this.timeIndex] as string;
    if (cell !== this.lastTimeCell) {
      this.lastTimeCell = cell;
      this.lastTime = cell === "" ? null : (readTimestamp(cell) ?? null);
    }
    return this.lastTime;
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
