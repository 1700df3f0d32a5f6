/**
 * Preprocessing of a project created with an event-log definition: the stored file (CSV or XES,
 * plain or gzip, told by its content) read into the normalizer, which writes the training and
 * holdout sets with fixed column names and labels. A log that interleaves its cases is read a
 * second time, grouped on disk; `outputs` then gives fresh sinks for that pass. An XES log's
 * XML is parsed once, into a scratch spool (see XesSpool) that the passes read.
 */
import { effectiveDefinitionFromJson } from "../../domain/event-log/index.js";
import type { ChunkSink } from "./csv/index.js";
import { datasetBytes } from "./dataset-source.js";
import { startsLikeXml } from "./event-log/dataset-format.js";
import type { EventRowSink } from "./event-log/event-rows.js";
import { type NormalizedLog, normalizeEventLog } from "./event-log/normalize-event-log.js";
import type { EventLogSummary } from "./event-log/normalizer.js";
import { readCsvEventLog } from "./event-log/read-csv.js";
import { XesSpool } from "./xes/index.js";

export interface SetSinks {
  readonly training: ChunkSink;
  readonly holdout: ChunkSink;
}

/** Where a pass writes: fresh sinks per pass, and a way to throw away an abandoned pass's. */
export interface PassOutputs<S extends SetSinks> {
  open(): Promise<S>;
  discard(sinks: S): Promise<void>;
}

export interface EventLogPassInput {
  /** Opens the stored file from its start (once per pass; an XES log once, see XesSpool). */
  readonly open: () => AsyncIterable<Uint8Array>;
  /** The project's effective definition, as stored (JSON). */
  readonly definitionJson: string;
  readonly caseIdColumn: string;
  readonly holdoutFraction: number;
  readonly onStoredBytes: (bytes: number) => void;
  readonly onRows?: (rows: number) => void;
  /** Where scratch files go (the XES spool, the grouping file); the OS temp directory by default. */
  readonly tempDir?: string;
}

export async function preprocessEventLog<S extends SetSinks>(
  input: EventLogPassInput,
  outputs: PassOutputs<S>,
): Promise<{ summary: EventLogSummary; sinks: S }> {
  const content = () => datasetBytes(input.open(), input.onStoredBytes);
  // An XES log is parsed once, into a spool that a second (grouped) pass reads again.
  let spool: XesSpool | undefined;
  const read = async (sink: EventRowSink): Promise<void> => {
    if (spool !== undefined) {
      await spool.read(content, countingRows(sink, input.onRows));
      return;
    }
    const { first, rest } = await peek(content());
    if (first !== undefined && startsLikeXml(first)) {
      await rest.return?.(undefined);
      spool = XesSpool.create(input.tempDir);
      await spool.read(content, countingRows(sink, input.onRows));
      return;
    }
    await readCsvEventLog(replay(first, rest), sink, {
      onProgress: input.onRows && (({ rows }) => input.onRows?.(rows)),
    });
  };
  let result: NormalizedLog;
  try {
    result = await normalizeEventLog({
      read,
      definition: effectiveDefinitionFromJson(input.definitionJson),
      caseIdColumn: input.caseIdColumn,
      holdoutFraction: input.holdoutFraction,
      outputs,
      tempDir: input.tempDir,
    });
  } finally {
    spool?.close();
  }
  return { summary: result.summary, sinks: result.sinks as S };
}

/** `sink`, telling `onRows` the rows so far every 64k rows and at the end. */
function countingRows(sink: EventRowSink, onRows?: (rows: number) => void): EventRowSink {
  let rows = 0;
  return {
    header: (columns, hints) => sink.header(columns, hints),
    row: (cells, line) => {
      sink.row(cells, line);
      if (++rows % 65_536 === 0) onRows?.(rows);
    },
    flush: () => sink.flush(),
    end: async () => {
      await sink.end();
      onRows?.(rows);
    },
  };
}

/** The first chunk of `source`, and the iterator it came from (positioned after it). */
async function peek(
  source: AsyncIterable<Uint8Array>,
): Promise<{ first: Uint8Array | undefined; rest: AsyncIterator<Uint8Array> }> {
  const rest = source[Symbol.asyncIterator]();
  const next = await rest.next();
  return { first: next.done ? undefined : next.value, rest };
}

async function* replay(
  first: Uint8Array | undefined,
  rest: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (first === undefined) return;
  yield first;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}
