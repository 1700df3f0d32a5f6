/**
 * The live table of `stream`, `simulate` and `watch-prescriptions` on a terminal, as pure code:
 * the state the events build (each case's latest event and prescriptions, the counts) and the
 * lines a frame of a given size shows. Writing the frames in place is `live-view.ts`'s job.
 *
 * A frame: a header line (`stream 7 · posted 300 · acked 300 · prescribed 287 · 95/s · 3s`), the
 * column heads (CASE, EVENT, ACTIVITY when known, then one column per plugin key), one line per
 * case, most recently changed first, and `… 41 more cases` when they do not all fit. No line is
 * wider than the terminal and the frame leaves the terminal's last line free, so it never
 * scrolls.
 */
import type { Prescription } from "../gen/trainingcore/v1/prescription.js";
import type { PrescribedEvent } from "../gen/trainingcore/v1/prescription_service.js";

/** Cases remembered beyond what a frame shows; the least recently changed go first. */
export const MAX_CASES = 10_000;

export interface CaseRow {
  readonly caseId: string;
  /** The case's latest event. */
  readonly eventId: number;
  readonly activity: string;
  readonly completed: boolean;
  /** The latest prescription of each plugin key, as text. */
  readonly cells: ReadonlyMap<string, string>;
}

export interface LiveTableOptions {
  /** The first words of the header, e.g. `stream 7`. */
  readonly title: string;
  /** The project's ACTIVITY column (its name in the posted attributes), when known. */
  readonly activityColumn?: string;
  readonly startedMs: number;
}

export class LiveTableState {
  /** Events sent in PostEvents calls; undefined when this command posts nothing. */
  posted: number | undefined;
  /** Events the core acked (their ids came back). */
  acked: number | undefined;
  /** Events that came back complete on the watch. */
  prescribed = 0;
  readonly keys = new Set<string>();
  /** Least recently changed first (a changed case is moved to the end). */
  private readonly cases = new Map<string, CaseRow>();

  constructor(readonly options: LiveTableOptions) {}

  get caseCount(): number {
    return this.cases.size;
  }

  apply(event: PrescribedEvent): void {
    this.prescribed++;
    const previous = this.cases.get(event.caseId);
    const cells = new Map(previous?.cells);
    for (const [key, prescription] of Object.entries(event.prescriptions)) {
      this.keys.add(key);
      cells.set(key, prescriptionText(prescription));
    }
    const { activityColumn } = this.options;
    const activity = activityColumn === undefined ? "" : event.attributes[activityColumn];
    this.cases.delete(event.caseId);
    this.cases.set(event.caseId, {
      caseId: event.caseId,
      eventId: event.eventId,
      activity: activity ?? previous?.activity ?? "",
      completed: event.caseCompleted,
      cells,
    });
    if (this.cases.size > MAX_CASES) {
      const oldest = this.cases.keys().next().value as string;
      this.cases.delete(oldest);
    }
  }

  /** The `limit` most recently changed cases, most recent first. */
  recentCases(limit: number): CaseRow[] {
    const all = [...this.cases.values()];
    return all.slice(Math.max(0, all.length - limit)).reverse();
  }
}

/** An output as one line of text; a missing one as `— ` and why. */
export function prescriptionText(p: Prescription): string {
  const text =
    p.output === null || p.output === undefined
      ? `— ${p.detail}`
      : typeof p.output === "string"
        ? p.output
        : JSON.stringify(p.output);
  return oneLine(text);
}

/** `text` on one line, without control characters (a value cannot move the cursor). */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  return text.replace(/[\s\x00-\x1f\x7f-\x9f]+/g, " ").trim();
}

export interface TerminalSize {
  readonly columns: number;
  readonly rows: number;
}

const widest = { case: 24, event: 12, activity: 24, key: 40 };

/** The lines of a frame for a terminal of `size`, at `nowMs`. */
export function renderLiveTable(
  state: LiveTableState,
  size: TerminalSize,
  nowMs: number,
): string[] {
  const width = Math.max(20, size.columns);
  const height = Math.max(3, size.rows - 1);
  const header = cut(oneLine(headerLine(state, nowMs)), width);
  if (state.caseCount === 0) return [header, "waiting for the first prescribed event…"];
  const keys = [...state.keys].sort();
  const withActivity = state.options.activityColumn !== undefined;
  const heads = ["CASE", "EVENT", ...(withActivity ? ["ACTIVITY"] : []), ...keys.map(oneLine)];
  const caps = [widest.case, widest.event, ...(withActivity ? [widest.activity] : [])];
  for (const _ of keys) caps.push(widest.key);
  let shown = Math.min(state.caseCount, height - 2);
  if (shown < state.caseCount) shown = Math.max(0, height - 3);
  const rows = state
    .recentCases(shown)
    .map((row) => [
      oneLine(row.caseId),
      `#${row.eventId}${row.completed ? " done" : ""}`,
      ...(withActivity ? [oneLine(row.activity)] : []),
      ...keys.map((key) => row.cells.get(key) ?? ""),
    ]);
  const widths = heads.map((head, i) =>
    Math.min(caps[i] as number, Math.max(head.length, ...rows.map((r) => (r[i] ?? "").length))),
  );
  const line = (cells: readonly string[]) =>
    cut(
      cells
        .map((cell, i) => padOrCut(cell, widths[i] as number))
        .join("  ")
        .trimEnd(),
      width,
    );
  const lines = [header, line(heads), ...rows.map(line)];
  const hidden = state.caseCount - shown;
  if (hidden > 0) lines.push(`… ${hidden} more case${hidden === 1 ? "" : "s"}`);
  return lines;
}

function headerLine(state: LiveTableState, nowMs: number): string {
  const parts = [state.options.title];
  if (state.posted !== undefined) parts.push(`posted ${state.posted}`);
  if (state.acked !== undefined) parts.push(`acked ${state.acked}`);
  parts.push(`prescribed ${state.prescribed}`);
  const seconds = Math.max(0, nowMs - state.options.startedMs) / 1000;
  parts.push(`${rateText(seconds > 0 ? state.prescribed / seconds : 0)}/s`, elapsed(seconds));
  return parts.join(" · ");
}

function rateText(rate: number): string {
  return rate < 10 ? rate.toFixed(1) : String(Math.round(rate));
}

function elapsed(seconds: number): string {
  const whole = Math.floor(seconds);
  if (whole < 60) return `${whole}s`;
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, "0")}s`;
}

/** `text` padded or cut (with `…`) to `width` characters. */
function padOrCut(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, Math.max(0, width - 1))}…` : text.padEnd(width);
}

/** `text` cut (with `…`) to at most `width` characters. */
function cut(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
