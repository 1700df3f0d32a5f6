/**
 * Preprocessing of a project created with an event-log definition: the stored file (CSV or XES,
 * plain or gzip, told by its content) read into the normalizer, which writes the training and
 * holdout sets with fixed column names and labels. A log that interleaves its cases is read a
 * second time, grouped on disk; `outputs` then gives fresh sinks for that pass.
 */
import { effectiveDefinitionFromJson } from "../../domain/event-log/index.js";
import type { ChunkSink } from "./csv/index.js";
import { datasetBytes } from "./dataset-source.js";
import { startsLikeXml } from "./event-log/dataset-format.js";
import type { EventRowSink } from "./event-log/event-rows.js";
import { normalizeEventLog } from "./event-log/normalize-event-log.js";
import type { EventLogSummary } from "./event-log/normalizer.js";
import { readCsvEventLog } from "./event-log/read-csv.js";
import { readXes } from "./xes/index.js";

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
  /** Opens the stored file from its start (once per pass, twice for XES). */
  readonly open: () => AsyncIterable<Uint8Array>;
  /** The project's effective definition, as stored (JSON). */
  readonly definitionJson: string;
  readonly caseIdColumn: string;
  readonly holdoutFraction: number;
  readonly onStoredBytes: (bytes: number) => void;
  readonly onRows?: (rows: number) => void;
}

export async function preprocessEventLog<S extends SetSinks>(
  input: EventLogPassInput,
  outputs: PassOutputs<S>,
): Promise<{ summary: EventLogSummary; sinks: S }> {
  const content = () => datasetBytes(input.open(), input.onStoredBytes);
  const read = async (sink: EventRowSink): Promise<void> => {
    const { first, rest } = await peek(content());
    if (first !== undefined && startsLikeXml(first)) {
      let rows = 0;
      const counting: EventRowSink = {
        header: (columns, hints) => sink.header(columns, hints),
        row: (cells, line) => {
          sink.row(cells, line);
          if (++rows % 65_536 === 0) input.onRows?.(rows);
        },
        flush: () => sink.flush(),
        end: async () => {
          await sink.end();
          input.onRows?.(rows);
        },
      };
      await rest.return?.(undefined);
      await readXes(content, counting);
      return;
    }
    await readCsvEventLog(replay(first, rest), sink, {
      onProgress: input.onRows && (({ rows }) => input.onRows?.(rows)),
    });
  };
  const result = await normalizeEventLog({
    read,
    definition: effectiveDefinitionFromJson(input.definitionJson),
    caseIdColumn: input.caseIdColumn,
    holdoutFraction: input.holdoutFraction,
    outputs,
  });
  return { summary: result.summary, sinks: result.sinks as S };
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
