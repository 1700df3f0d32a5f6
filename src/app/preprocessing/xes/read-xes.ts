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
import { DatasetError } from "../csv/errors.js";
import { validUtf8Chunks } from "../csv/utf8.js";
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
  // The chunks are valid UTF-8 but may cut a character in two: the decoder joins it again.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  for await (const chunk of validUtf8Chunks(source, { bytes: 0 })) {
    walker.write(decoder.decode(chunk, { stream: true }));
    await afterChunk();
  }
  const rest = decoder.decode();
  if (rest !== "") walker.write(rest);
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
