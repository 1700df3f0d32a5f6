/**
 * Reads an XES event log (IEEE 1849) into an EventRowSink, as a stream, in two passes over the
 * stored file: every event is a row, yet the header must come before the first row and the
 * set of keys is only known at the end of the log.
 *
 * 1. The first pass checks the whole log (well-formed XML, a trace per case with its
 *    concept:name, each value readable for its type) and collects the columns and their typed
 *    hints (see ColumnSet for names, order and hints). It writes nothing.
 * 2. The second pass hands the sink the header, then one row per event (the trace's attributes,
 *    then the event's; "" where the event lacks a key), awaiting `flush` after each chunk of
 *    input and `end` after the last row.
 *
 * Memory holds one chunk of input, the columns and one trace's attributes, whatever the size of
 * the log. A date is passed on as written; the sink reads it (the first pass checked it reads).
 */
import { isAscii } from "node:buffer";
import { DatasetError } from "../csv/errors.js";
import { incompleteTailLength, validUtf8Chunks } from "../csv/utf8.js";
import type { EventRowSink } from "../event-log/event-rows.js";
import { ColumnCollector, DatasetChangedError, RowEmitter } from "./visitors.js";
import { type WalkOptions, type XesVisitor, XesWalker } from "./xes-walker.js";

export interface XesSummary {
  readonly columns: readonly string[];
  readonly events: number;
}

/**
 * Reads the log `open` yields (XML bytes, already gunzipped) into `sink`; `open` is called
 * once per pass and must yield the same bytes each time. Throws DatasetError for a log that
 * cannot be read, before any row when the first pass finds the problem.
 */
export async function readXes(
  open: () => AsyncIterable<Uint8Array>,
  sink: EventRowSink,
): Promise<XesSummary> {
  const collector = new ColumnCollector();
  const first = await walkAll(open(), collector, { checkValues: true });
  if (first.events === 0) {
    throw new DatasetError(
      first.logEndLine,
      "the log has no events: an XES log needs at least one <trace> holding an <event>",
    );
  }
  const columns = collector.columns.names();
  sink.header(columns, collector.columns.typedHints());
  const emitter = new RowEmitter(columns, sink);
  const second = await walkAll(open(), emitter, { checkValues: false }, () => sink.flush());
  if (second.events !== first.events) {
    throw new DatasetChangedError(`${first.events} events, then ${second.events}`);
  }
  await sink.end();
  return { columns, events: first.events };
}

/** Writes the whole of `source` to `walker`, awaiting `afterChunk` after each chunk of it. */
export async function feed(
  walker: XesWalker,
  source: AsyncIterable<Uint8Array>,
  afterChunk: () => Promise<void> = noWait,
): Promise<void> {
  let carried: Buffer | undefined; // the start of a character the chunk cut in two
  for await (const chunk of validUtf8Chunks(source, { bytes: 0 })) {
    const bytes = carried === undefined ? chunk : Buffer.concat([carried, chunk]);
    const cut = incompleteTailLength(bytes);
    carried = cut === 0 ? undefined : Buffer.from(bytes.subarray(bytes.length - cut));
    walker.write(textOf(bytes.subarray(0, bytes.length - cut)));
    await afterChunk();
  }
  if (carried !== undefined) walker.write(textOf(carried));
}

/** Valid UTF-8 as text; ASCII, the bulk of most logs, decodes several times faster as latin1. */
function textOf(bytes: Buffer): string {
  return isAscii(bytes) ? bytes.toString("latin1") : bytes.toString("utf8");
}

async function walkAll(
  source: AsyncIterable<Uint8Array>,
  visitor: XesVisitor,
  options: WalkOptions,
  afterChunk?: () => Promise<void>,
): Promise<XesWalker> {
  const walker = new XesWalker(visitor, options);
  await feed(walker, source, afterChunk);
  walker.end();
  return walker;
}

async function noWait(): Promise<void> {}
