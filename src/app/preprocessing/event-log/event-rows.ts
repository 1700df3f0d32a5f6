/**
 * The seam between the readers of an event log (CSV records, XES traces) and what makes the
 * training set of them: each reader turns its format into a header and rows of text cells,
 * and hands them to an EventRowSink.
 */
import type { TypedHint } from "../../../domain/event-log/index.js";

/** The formats a dataset may have, detected from its content. */
export type DatasetFormat = "csv" | "csv+gzip" | "xes" | "xes+gzip";

/** What the start of a dataset shows: InspectDataset's answer, and what CreateProject checks. */
export interface DatasetHead {
  readonly format: DatasetFormat;
  /** Column names in order (XES: `case:<key>` for trace attributes, then event keys). */
  readonly columns: readonly string[];
  /** Types XES declares for its attributes (date, int, float, boolean); empty for CSV. */
  readonly typedHints: ReadonlyMap<string, TypedHint>;
  /** The first rows (at most 5), cells in `columns` order; a missing value is "". */
  readonly sampleRows: readonly (readonly string[])[];
}

/**
 * Receives an event log row by row. `header` comes once, before any row. `row` is synchronous
 * and may throw a DatasetError (its `line` is the physical line for CSV, the line of the
 * `<event>` element for XES); the reader awaits `flush` after each input chunk, so the sink's
 * output keeps pace with the input, and `end` once after the last row.
 */
export interface EventRowSink {
  header(columns: readonly string[], typedHints: ReadonlyMap<string, TypedHint>): void;
  row(cells: readonly string[], line: number): void;
  flush(): Promise<void>;
  end(): Promise<void>;
}
