/**
 * The running-cases set as cases: the CSV (header first; each case's events contiguous, in time
 * order) parsed with csv-parse as it downloads, events grouped by their `CASE_ID` column (the
 * first column when there is none), empty cells left out.
 */
import { Readable } from "node:stream";
import { parse } from "csv-parse";
import type { RunningCase } from "./types.js";

export async function* casesOf(chunks: AsyncIterable<Buffer>): AsyncGenerator<RunningCase> {
  const parser = Readable.from(chunks).pipe(
    parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: true }),
  );
  let caseColumn: string | undefined;
  let current: { caseId: string; events: Record<string, string>[] } | undefined;
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    caseColumn ??= "CASE_ID" in record ? "CASE_ID" : Object.keys(record)[0];
    const caseId = caseColumn === undefined ? "" : (record[caseColumn] ?? "");
    const event: Record<string, string> = {};
    for (const [column, value] of Object.entries(record)) {
      if (value !== "" && value !== undefined) event[column] = value;
    }
    if (current && current.caseId === caseId) {
      current.events.push(event);
      continue;
    }
    if (current) yield current;
    current = { caseId, events: [event] };
  }
  if (current) yield current;
}
