/** Deterministic single-pass split of cases into training and holdout. */
import { CaseSides } from "./case-sides.js";

/** Header names recognised as the case id column, compared case-insensitively. */
export const CASE_COLUMN_CANDIDATES = ["case:concept:name", "case_id", "caseid", "case id", "case"];

/** The first (trimmed) header name that is a known case id column name, or undefined. */
export function detectCaseColumn(columns: readonly string[]): string | undefined {
  return columns.find((name) => CASE_COLUMN_CANDIDATES.includes(name.trim().toLowerCase()));
}

/**
 * Assigns every new case to a side as soon as it is first seen: the n-th distinct case goes to
 * holdout iff floor(n * fraction) > holdout cases so far, so that after n cases exactly
 * floor(n * fraction) of them are holdout, and the first case is always training. All rows of
 * a case follow the side of its first row.
 */
export class CaseSplitter {
  /**
   * Side of every case seen so far. This is the only state that grows with the input: one
   * entry per distinct case id, nothing per row.
   */
  private readonly sides = new CaseSides();
  private casesSeen = 0;
  private holdoutCases = 0;

  constructor(private readonly fraction: number) {}

  /** Distinct cases seen so far. */
  get cases(): number {
    return this.casesSeen;
  }

  /** True when the rows of this case belong to the holdout set. */
  isHoldout(caseId: string): boolean {
    let side = this.sides.get(caseId);
    if (side === undefined) {
      side = this.nextCase();
      this.sides.addLast(side);
    }
    return side;
  }

  /**
   * The case's rank in first-seen order (0 for the first case); a case not seen yet gets the
   * next rank, and its side.
   */
  ordinal(caseId: string): number {
    const found = this.sides.indexOf(caseId);
    return found >= 0 ? found : this.sides.addLast(this.nextCase());
  }

  /** True when the rows of the case of this ordinal belong to the holdout set. */
  isHoldoutAt(ordinal: number): boolean {
    return this.sides.sideAt(ordinal);
  }

  /** Side of a new case that will never be seen again (no case column: rows are cases). */
  nextCase(): boolean {
    this.casesSeen++;
    if (Math.floor(this.casesSeen * this.fraction) > this.holdoutCases) {
      this.holdoutCases++;
      return true;
    }
    return false;
  }
}
