/**
 * Cases grouped on disk (see CaseRouting), for logs whose cases interleave. Events are gathered
 * in memory into runs per case, up to a budget; when it is reached, every run goes to the
 * CaseGroupingFile (a row per run, in one transaction), so a log that interleaves only locally
 * stores a few rows per case rather than one per event. At the end the file gives the runs back
 * case by case, and each case is written whole.
 *
 * Each event is encoded as it arrives (one flat string, not an array of cells: held runs then
 * cost the garbage collector little): its line, time and cells joined by NUL. A run's payload is
 * its events joined by NUL too; a run with a NUL in some cell is written as JSON instead (which
 * holds no raw NUL, while a joined run always does).
 */
import type { CaseGroupingFile, GroupedRun } from "../../../store/scratch/case-grouping-file.js";
import type { CaseSplitter } from "../csv/case-split.js";
import type { CaseEvent } from "./case-events.js";
import type { CaseRouting } from "./case-routing.js";
import type { TrainingSetWriter } from "./training-set-writer.js";

/** Characters of cells gathered in runs before they go to the file. */
const RUN_BUDGET_CHARS = 1024 * 1024;
/** Rows written between two flushes while the grouped cases are written out. */
const ROWS_PER_FLUSH = 4096;
const NUL = "\0";

interface PendingRun {
  readonly caseOrdinal: number;
  readonly fileOrder: number;
  /** Encoded events: joined by NUL, or JSON (`[line, time, cells]`) for cells holding a NUL. */
  readonly events: string[];
  joinable: boolean;
}

export class GroupedCases implements CaseRouting {
  private fileOrder = 0;
  private lastCaseId: string | undefined;
  private lastRun: PendingRun | undefined;
  private runs = new Map<number, PendingRun>();
  private pendingChars = 0;

  constructor(
    private readonly splitter: CaseSplitter,
    private readonly writer: TrainingSetWriter,
    private readonly file: CaseGroupingFile,
    /** Cells per event: the log's columns. */
    private readonly width: number,
    private readonly budgetChars = RUN_BUDGET_CHARS,
  ) {}

  add(caseId: string, event: CaseEvent): void {
    const fileOrder = this.fileOrder++;
    let run = caseId === this.lastCaseId ? this.lastRun : undefined;
    if (run === undefined) {
      const caseOrdinal = this.splitter.ordinal(caseId);
      run = this.runs.get(caseOrdinal);
      if (run === undefined) {
        run = { caseOrdinal, fileOrder, events: [], joinable: true };
        this.runs.set(caseOrdinal, run);
      }
      this.lastCaseId = caseId;
      this.lastRun = run;
    }
    const encoded = encodeEvent(event);
    if (encoded.charCodeAt(0) === LEFT_BRACKET) run.joinable = false;
    run.events.push(encoded);
    this.pendingChars += encoded.length;
    if (this.pendingChars >= this.budgetChars) this.store();
  }

  async end(): Promise<void> {
    this.store();
    let events: CaseEvent[] = [];
    let ordinal = -1;
    let unflushed = 0;
    for (const run of this.file.runsByCase()) {
      if (run.caseOrdinal !== ordinal) {
        this.write(events, ordinal);
        unflushed += events.length;
        events = [];
        ordinal = run.caseOrdinal;
        if (unflushed >= ROWS_PER_FLUSH) {
          await this.writer.flush();
          unflushed = 0;
        }
      }
      decodeRun(run.payload, this.width, events);
    }
    this.write(events, ordinal);
  }

  /** Sends every pending run to the file. */
  private store(): void {
    if (this.runs.size === 0) return;
    const runs: GroupedRun[] = [];
    for (const run of this.runs.values()) {
      runs.push({
        caseOrdinal: run.caseOrdinal,
        fileOrder: run.fileOrder,
        payload: encodeRun(run),
      });
    }
    this.file.write(runs);
    this.runs = new Map();
    this.lastCaseId = undefined;
    this.lastRun = undefined;
    this.pendingChars = 0;
  }

  private write(events: CaseEvent[], ordinal: number): void {
    if (events.length > 0) this.writer.writeCase(events, this.splitter.isHoldoutAt(ordinal));
  }
}

const LEFT_BRACKET = 0x5b;

/** The event joined by NUL (it starts with its line number), or as JSON (it starts with `[`). */
function encodeEvent(event: CaseEvent): string {
  const cells = event.cells;
  for (let i = 0; i < cells.length; i++) {
    if ((cells[i] as string).includes(NUL)) {
      return JSON.stringify([event.line, event.time, cells]);
    }
  }
  return `${event.line}${NUL}${event.time ?? ""}${NUL}${cells.join(NUL)}`;
}

function encodeRun(run: PendingRun): string {
  if (run.joinable) return run.events.join(NUL);
  const asJson = run.events.map((encoded) => {
    if (encoded.charCodeAt(0) === LEFT_BRACKET) return encoded;
    const [line, time, ...cells] = encoded.split(NUL);
    return JSON.stringify([Number(line), time === "" ? null : Number(time), cells]);
  });
  return `[${asJson.join(",")}]`;
}

/** Appends the events of a run of events with `width` cells each to `events`. */
function decodeRun(payload: string, width: number, events: CaseEvent[]): void {
  if (!payload.includes(NUL)) {
    const decoded = JSON.parse(payload) as [number, number | null, string[]][];
    for (const [line, time, cells] of decoded) events.push({ line, time, cells });
    return;
  }
  const parts = payload.split(NUL);
  for (let at = 0; at < parts.length; at += width + 2) {
    const time = parts[at + 1] as string;
    events.push({
      line: Number(parts[at]),
      time: time === "" ? null : Number(time),
      cells: parts.slice(at + 2, at + 2 + width),
    });
  }
}
