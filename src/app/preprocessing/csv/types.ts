/** Public types of the dataset preprocessing pipeline. */

export type Delimiter = "," | ";" | "\t";

export interface PreprocessOptions {
  /** Name of the case id column; '' or undefined: auto-detect (see `detectCaseColumn`). */
  caseIdColumn?: string;
  /** Share of the cases that go to the holdout set, in [0, 1). */
  holdoutFraction: number;
  /**
   * Called about every 64k rows or 8 MiB read, and once at the end with the final counts.
   * `bytes` counts the bytes read from the source (including a BOM).
   */
  onProgress?: (progress: { rows: number; bytes: number }) => void;
}

export interface PreprocessSummary {
  /** Data rows (the header and blank lines excluded). */
  rows: number;
  trainingRows: number;
  holdoutRows: number;
  /** Distinct case ids; equals `rows` when there is no case column. */
  cases: number;
  /** Header names, trimmed, in file order (also the header of both output files). */
  columns: string[];
  /** The case id column used for the split; '' when none (every row is its own case). */
  caseIdColumn: string;
  /** Delimiter of the input file; the outputs always use ','. */
  delimiter: Delimiter;
}

/**
 * Receives the output chunks (about 256 KiB each); the pipeline awaits every write, and reuses
 * a chunk's buffer once its write has resolved: a sink that keeps the bytes must copy them.
 */
export interface ChunkSink {
  write(chunk: Buffer): Promise<void>;
}
