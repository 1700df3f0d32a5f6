/**
 * The two ways cases reach the training-set writer whole, both holding one case's events in
 * memory at a time (so memory is bounded by the largest case, not by the log):
 *
 * - StreamedCases, for logs that keep each case's events together (most real logs): the events
 *   of the current case are held until the case id changes, then the case is written. A case id
 *   that comes back after its run ended throws CasesInterleaved, and the caller starts over
 *   with GroupedCases.
 * - GroupedCases (grouped-cases.ts), for any log: events are grouped by case on disk, and at
 *   the end they come back case by case, in the order of each case's first event.
 *
 * Both give every case the same ordinal (first-seen order) and side (CaseSplitter), and write
 * cases in ordinal order, so their outputs are byte-identical.
 */
import type { CaseSplitter } from "../csv/case-split.js";
import type { CaseEvent } from "./case-events.js";
import type { TrainingSetWriter } from "./training-set-writer.js";

/** A case id came back after other cases: the log must be grouped on disk. */
export class CasesInterleaved extends Error {
  override readonly name = "CasesInterleaved";
  constructor(
    readonly caseId: string,
    readonly line: number,
  ) {
    super(`line ${line}: case ${JSON.stringify(caseId)} comes back after other cases`);
  }
}

export interface CaseRouting {
  /** Takes the next event of the log (in file order), of the case `caseId`. */
  add(caseId: string, event: CaseEvent): void;
  /** Writes whatever cases are still held. */
  end(): Promise<void>;
}

export class StreamedCases implements CaseRouting {
  private events: CaseEvent[] = [];
  private caseId: string | undefined;
  private ordinal = -1;

  constructor(
    private readonly splitter: CaseSplitter,
    private readonly writer: TrainingSetWriter,
  ) {}

  add(caseId: string, event: CaseEvent): void {
    if (caseId !== this.caseId) {
      this.writeHeld();
      const known = this.splitter.cases;
      const ordinal = this.splitter.ordinal(caseId);
      if (ordinal < known) throw new CasesInterleaved(caseId, event.line);
      this.caseId = caseId;
      this.ordinal = ordinal;
    }
    this.events.push(event);
  }

  async end(): Promise<void> {
    this.writeHeld();
  }

  private writeHeld(): void {
    if (this.events.length === 0) return;
    this.writer.writeCase(this.events, this.splitter.isHoldoutAt(this.ordinal));
    this.events = [];
  }
}
