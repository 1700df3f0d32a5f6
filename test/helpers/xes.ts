/**
 * XES event logs for tests and benchmarks: the XES twin of a CSV event log, and a streamed
 * twin of the synthetic CSV log of `syntheticEventLog`.
 *
 * A twin holds the same events: one `<trace>` per case (cases in the order of their first
 * row, each case's rows in file order), the case column as the trace's `concept:name`, the
 * other `case:` columns as trace attributes (from the case's first row), every other column as
 * an event attribute; an empty cell is an attribute left out. `<global>` declarations list
 * every key in the CSV's column order, so the XES reader finds the columns in that order when
 * the CSV puts its `case:` columns first. The XES column of the case is `case:concept:name`.
 */
import { parse } from "csv-parse/sync";
import { syntheticEventLog } from "./datasets.js";

export type XesType = "string" | "date" | "int" | "float" | "boolean" | "id";

export interface TwinOptions {
  /** The XES type of columns that are not strings, e.g. `{ "time:timestamp": "date" }`. */
  readonly types?: Readonly<Record<string, XesType>>;
}

interface TwinLayout {
  readonly caseIndex: number;
  /** [column index, trace key] of the trace attributes other than the case id. */
  readonly traceKeys: readonly (readonly [number, string])[];
  /** [column index, event key] of the event attributes. */
  readonly eventKeys: readonly (readonly [number, string])[];
  readonly typeOf: (column: string) => XesType;
  readonly header: readonly string[];
}

export function escapeXml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("\n", "&#10;") // a raw line break in an attribute would read as a space
    .replaceAll("\r", "&#13;")
    .replaceAll("\t", "&#9;");
}

/** The XES twin of an event-log CSV (`,`-delimited, header first) whose case id is `caseColumn`. */
export function xesTwinOf(csvText: string, caseColumn: string, options: TwinOptions = {}): string {
  const [header, ...rows] = parse(csvText, { relax_column_count: false }) as string[][];
  if (header === undefined) throw new Error("xesTwinOf: the CSV has no header");
  const layout = twinLayout(header, caseColumn, options);
  const cases = new Map<string, string[][]>();
  for (const row of rows) {
    const id = row[layout.caseIndex] ?? "";
    let events = cases.get(id);
    if (events === undefined) {
      events = [];
      cases.set(id, events);
    }
    events.push(row);
  }
  const parts = [xesPrologue(layout)];
  for (const [id, events] of cases) parts.push(traceXml(layout, id, events));
  parts.push("</log>\n");
  return parts.join("");
}

/**
 * The XES twin of `syntheticEventLog(targetBytes, seed)`, yielded a trace at a time (never
 * held whole); `time:timestamp` is typed date, everything else string. The XES is about 1.7×
 * the CSV's size, so `targetBytes` sets the size of the CSV it twins.
 */
export function* syntheticXesLog(targetBytes: number, seed = 1): Generator<string> {
  let layout: TwinLayout | undefined;
  for (const piece of syntheticEventLog(targetBytes, seed)) {
    // Each piece of the synthetic CSV is the header or one whole case, without quotes.
    const lines = piece.split("\n").filter((line) => line !== "");
    if (layout === undefined) {
      const header = (lines[0] ?? "").split(",");
      layout = twinLayout(header, "case:concept:name", { types: { "time:timestamp": "date" } });
      yield xesPrologue(layout);
      continue;
    }
    const rows = lines.map((line) => line.split(","));
    yield traceXml(layout, rows[0]?.[layout.caseIndex] ?? "", rows);
  }
  yield "</log>\n";
}

function twinLayout(header: readonly string[], caseColumn: string, options: TwinOptions) {
  const caseIndex = header.indexOf(caseColumn);
  if (caseIndex < 0) throw new Error(`xesTwinOf: no column ${caseColumn} in ${header.join(",")}`);
  const traceKeys: [number, string][] = [];
  const eventKeys: [number, string][] = [];
  header.forEach((name, index) => {
    if (index === caseIndex) return;
    if (name.startsWith("case:")) traceKeys.push([index, name.slice("case:".length)]);
    else eventKeys.push([index, name]);
  });
  const typeOf = (column: string): XesType => options.types?.[column] ?? "string";
  return { caseIndex, traceKeys, eventKeys, typeOf, header };
}

function xesPrologue(layout: TwinLayout): string {
  const declare = (column: string, key: string) => {
    const type = layout.typeOf(column);
    return `    <${type} key="${escapeXml(key)}" value="${type === "date" ? "1970-01-01T00:00:00.000+00:00" : "?"}"/>\n`;
  };
  // The case column among the trace keys, where the CSV has it.
  const traceGlobals = layout.header.flatMap((column, index) => {
    if (index === layout.caseIndex) return [declare(column, "concept:name")];
    const traceKey = layout.traceKeys.find(([at]) => at === index);
    return traceKey === undefined ? [] : [declare(column, traceKey[1])];
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    '<log xes.version="1.0" xes.features="nested-attributes">\n',
    '  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n',
    '  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n',
    '  <global scope="trace">\n',
    ...traceGlobals,
    "  </global>\n",
    '  <global scope="event">\n',
    ...layout.eventKeys.map(([, key]) => declare(key, key)),
    "  </global>\n",
    '  <classifier name="Activity" keys="concept:name"/>\n',
  ].join("");
}

function traceXml(layout: TwinLayout, caseId: string, rows: readonly (readonly string[])[]) {
  const first = rows[0] ?? [];
  const parts = ["  <trace>\n", attributeXml("    ", "string", "concept:name", caseId)];
  for (const [index, key] of layout.traceKeys) {
    const column = layout.header[index] ?? "";
    for (const row of rows) {
      if ((row[index] ?? "") !== (first[index] ?? "")) {
        throw new Error(`xesTwinOf: ${column} changes within case ${caseId}: no trace can hold it`);
      }
    }
    const value = first[index] ?? "";
    if (value !== "") parts.push(attributeXml("    ", layout.typeOf(column), key, value));
  }
  for (const row of rows) {
    parts.push("    <event>\n");
    for (const [index, key] of layout.eventKeys) {
      const value = row[index] ?? "";
      if (value !== "") parts.push(attributeXml("      ", layout.typeOf(key), key, value));
    }
    parts.push("    </event>\n");
  }
  parts.push("  </trace>\n");
  return parts.join("");
}

function attributeXml(indent: string, type: XesType, key: string, value: string): string {
  return `${indent}<${type} key="${escapeXml(key)}" value="${escapeXml(value)}"/>\n`;
}
