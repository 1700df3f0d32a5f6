/**
 * The one call that makes the training and holdout sets of an event log, in bounded memory.
 *
 * It reads the log once in stream mode (each case's events held until the case id changes). When
 * a case comes back after other cases, that pass is abandoned: its sinks are discarded, and the
 * log is read again from its start in grouped mode, through a temporary SQLite file that is
 * deleted when the pass ends, however it ends. Both modes write the same bytes.
 *
 * Sinks: `outputs.open()` gives fresh, empty sinks for each pass (once, or twice when cases
 * interleave). Every sinks object it returned is either returned with the result (the caller
 * finishes them) or passed to `outputs.discard()` (an abandoned or failed pass), never both.
 */
import type { EventLogDefinition } from "../../../domain/event-log/index.js";
import { CaseGroupingFile } from "../../../store/scratch/case-grouping-file.js";
import { CasesInterleaved } from "./case-routing.js";
import type { EventRowSink } from "./event-rows.js";
import { EventLogNormalizer, type EventLogSummary } from "./normalizer.js";
import type { OutputSinks } from "./training-set-writer.js";

export interface OutputTarget {
  /** New, empty sinks for one pass. */
  open(): Promise<OutputSinks>;
  /** Throws away what a pass that did not complete wrote; its sinks are not used again. */
  discard(sinks: OutputSinks): Promise<void>;
}

export interface NormalizeOptions {
  /**
   * Reads the log from its start into the sink (header, rows, flushes, end), e.g. with
   * `readCsvEventLog`; called once per pass, so it opens the source each time.
   */
  readonly read: (sink: EventRowSink) => Promise<void>;
  /** The project's definition (as requested, or already effective). */
  readonly definition: EventLogDefinition;
  /** The legacy `case_id_column` of the project; '' or absent for none. */
  readonly caseIdColumn?: string;
  /** Share of the cases that go to the holdout set, in [0, 1). */
  readonly holdoutFraction: number;
  readonly outputs: OutputTarget;
  /** Where the grouping file goes (in a directory of its own); the OS temp directory by default. */
  readonly tempDir?: string;
  /** "when-interleaved" (the default), or "always" to group on disk from the start. */
  readonly grouping?: "when-interleaved" | "always";
  /** Called when the stream pass is abandoned for a grouped one. */
  readonly onGrouping?: (reason: CasesInterleaved) => void;
}

export interface NormalizedLog {
  readonly summary: EventLogSummary;
  /** The sinks the sets were written to, complete. */
  readonly sinks: OutputSinks;
}

export async function normalizeEventLog(options: NormalizeOptions): Promise<NormalizedLog> {
  if (options.grouping !== "always") {
    const streamed = await pass(options, "stream");
    if (streamed) return streamed;
  }
  const file = await CaseGroupingFile.create(options.tempDir);
  try {
    return (await pass(options, file)) as NormalizedLog;
  } finally {
    file.close();
  }
}

/** One pass over the log; undefined when a stream pass found interleaved cases. */
async function pass(
  options: NormalizeOptions,
  grouping: "stream" | CaseGroupingFile,
): Promise<NormalizedLog | undefined> {
  const sinks = await options.outputs.open();
  try {
    const normalizer = new EventLogNormalizer({
      definition: options.definition,
      caseIdColumn: options.caseIdColumn,
      holdoutFraction: options.holdoutFraction,
      sinks,
      grouping,
    });
    await options.read(normalizer);
    return { summary: normalizer.summary(), sinks };
  } catch (error) {
    const interleaved = error instanceof CasesInterleaved && grouping === "stream";
    try {
      await options.outputs.discard(sinks);
    } catch (discardError) {
      // A failed pass's own error says more than the failure to clean up after it.
      if (interleaved) throw discardError;
    }
    if (!interleaved) throw error;
    options.onGrouping?.(error);
    return undefined;
  }
}
