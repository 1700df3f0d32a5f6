/**
 * What the start of an XES log shows InspectDataset: its columns (from the `<global>`
 * declarations and the traces that end within the head), their typed hints and its first
 * events as sample rows. The head may stop anywhere, even inside an element or a character:
 * what was complete is used, the rest ignored.
 */
import { createGunzip } from "node:zlib";
import { DatasetError } from "../csv/errors.js";
import { incompleteTailLength } from "../csv/utf8.js";
import { isGzip } from "../event-log/dataset-format.js";
import type { DatasetHead } from "../event-log/event-rows.js";
import { feed } from "./read-xes.js";
import { ColumnCollector } from "./visitors.js";
import { XesWalker } from "./xes-walker.js";

/** How much of the (decompressed) log is looked at. */
export const XES_HEAD_BYTES = 1 << 20;
const SAMPLE_ROWS = 5;

/** The head of the XES log that starts with `bytes` (plain or gzip, cut anywhere). */
export async function inspectXesHead(
  bytes: Buffer,
  maxBytes = XES_HEAD_BYTES,
): Promise<DatasetHead> {
  const gzip = isGzip(bytes);
  const xml = gzip ? await gunzippedStart(bytes, maxBytes) : bytes.subarray(0, maxBytes);
  const collector = new ColumnCollector(SAMPLE_ROWS);
  const walker = new XesWalker(collector, { checkValues: true });
  // A character cut at the end is not invalid UTF-8, only incomplete; the walk is not ended,
  // since the head of a larger log ends with open elements.
  await feed(walker, once(xml.subarray(0, xml.length - incompleteTailLength(xml))));
  const columns = collector.columns.names();
  return {
    format: gzip ? "xes+gzip" : "xes",
    columns,
    typedHints: collector.columns.typedHints(),
    sampleRows: collector.sampleRows(columns),
  };
}

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

/** At most `maxBytes` of what `bytes` decompresses to; a cut gzip stream gives what it has. */
async function gunzippedStart(bytes: Buffer, maxBytes: number): Promise<Buffer> {
  const gunzip = createGunzip();
  const parts: Buffer[] = [];
  let size = 0;
  try {
    gunzip.end(bytes);
    for await (const part of gunzip) {
      parts.push(part as Buffer);
      size += (part as Buffer).length;
      if (size >= maxBytes) break;
    }
  } catch (error) {
    if (size === 0) {
      throw new DatasetError(
        1,
        `the file starts like gzip but cannot be decompressed (${(error as Error).message}): send the file as it is, or gzip it again`,
      );
    }
  } finally {
    gunzip.destroy();
  }
  return Buffer.concat(parts).subarray(0, maxBytes);
}
