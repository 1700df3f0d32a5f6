/**
 * Event logs of three shapes, held in memory as 64 KiB chunks: receipt-like without quotes (the
 * common case, which the pipeline splits without csv-parse), a quoted activity on a third of
 * the rows, and in addition a quoted field on every row.
 */
import { syntheticEventLog } from "../../test/helpers/datasets.js";

export const shapeNames = ["receipt", "quoted-third", "quoted-all"] as const;
export type ShapeName = (typeof shapeNames)[number];

const activities = [
  "Confirmation of receipt",
  "T02 Check confirmation",
  'T06 "Determine" necessity',
];

/** Rows with a quoted activity on every third row, and a quoted note on every row if `note`. */
function quotedLog(targetBytes: number, note: boolean): string {
  const header =
    "case:channel,case:concept:name,case:deadline,case:department,case:enddate,case:group," +
    "case:responsible,case:startdate,concept:instance,concept:name,lifecycle:transition," +
    `org:group,org:resource,time:timestamp${note ? ",note" : ""}\n`;
  const lines = [header];
  let size = header.length;
  for (let row = 0; size < targetBytes; row++) {
    const caseNo = Math.floor(row / 6);
    const activity = activities[row % 3] as string;
    const quoted = activity.includes('"') ? `"${activity.replaceAll('"', '""')}"` : activity;
    const line =
      `Internet,case-${caseNo},2011-12-06 13:41:31.788000+01:00,General,,Group ${row % 9},` +
      `Resource${row % 40},2011-10-11 13:42:22.688000+02:00,task-${row},${quoted},complete,` +
      `Group ${row % 5},Resource${row % 33},2011-10-11 13:45:40.276000+02:00${note ? ',"a, b"' : ""}\n`;
    lines.push(line);
    size += line.length;
  }
  return lines.join("");
}

function chunksOf(text: string): Buffer[] {
  const data = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += 65536) chunks.push(data.subarray(at, at + 65536));
  return chunks;
}

/** About `targetBytes` of an event log of `shape`, the same bytes on every call. */
export function eventLogChunks(shape: ShapeName, targetBytes: number): Buffer[] {
  switch (shape) {
    case "receipt":
      return chunksOf([...syntheticEventLog(targetBytes)].join(""));
    case "quoted-third":
      return chunksOf(quotedLog(targetBytes, false));
    case "quoted-all":
      return chunksOf(quotedLog(targetBytes, true));
  }
}
