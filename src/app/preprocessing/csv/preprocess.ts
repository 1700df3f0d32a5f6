/**
 * Dataset preprocessing as one streaming pass (see `scanCsv`): validation and case split,
 * synchronously per record, into two chunked CSV writers. Memory stays bounded by a few chunks
 * plus the case map (one entry per distinct case).
 */
import { RecordRouter } from "./records.js";
import { scanCsv } from "./scan-csv.js";
import type { ChunkSink, PreprocessOptions, PreprocessSummary } from "./types.js";

export async function preprocessDataset(
  source: AsyncIterable<Uint8Array>,
  options: PreprocessOptions,
  sinks: { training: ChunkSink; holdout: ChunkSink },
): Promise<PreprocessSummary> {
  const fraction = options.holdoutFraction;
  if (typeof fraction !== "number" || !(fraction >= 0 && fraction < 1)) {
    throw new RangeError(`holdoutFraction must be in [0, 1), got ${String(fraction)}`);
  }
  const { handler } = await scanCsv(
    source,
    (delimiter) =>
      new RecordRouter({
        caseIdColumn: options.caseIdColumn ?? "",
        holdoutFraction: fraction,
        delimiter,
        sinks,
      }),
    options.onProgress,
  );
  return handler.summary();
}
