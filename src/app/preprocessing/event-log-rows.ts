/**
 * An event log (CSV or XES, plain or gzip, told by its content) read into an EventRowSink with
 * the readers preprocessing uses, so that a client posting a file's events (`training-core
 * stream`) sees the columns the training file had: a CSV's header, an XES log flattened as
 * preprocessing flattens it (`case:<key>` for trace attributes, event keys as written, "" where
 * an event lacks a key). An XES log is parsed twice (see readXes) rather than spooled: `open`
 * re-reads the file.
 */
import { datasetBytes } from "./dataset-source.js";
import { startsLikeXml } from "./event-log/dataset-format.js";
import type { EventRowSink } from "./event-log/event-rows.js";
import { readCsvEventLog } from "./event-log/read-csv.js";
import { readXes } from "./xes/index.js";

/** Reads the log `open` yields (called once per pass) into `sink`; throws DatasetError. */
export async function readEventLogRows(
  open: () => AsyncIterable<Uint8Array>,
  sink: EventRowSink,
): Promise<void> {
  const content = () => datasetBytes(open(), () => {});
  const iterator = content()[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (!first.done && startsLikeXml(first.value)) {
    await iterator.return?.(undefined);
    await readXes(content, sink);
    return;
  }
  await readCsvEventLog(replay(first, iterator), sink);
}

async function* replay(
  first: IteratorResult<Uint8Array>,
  rest: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (first.done) return;
  yield first.value;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}
