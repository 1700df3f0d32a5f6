/**
 * Reads an XES event log (IEEE 1849) into an EventRowSink parsing its XML once: the sink needs
 * the header (every column, with its typed hint) before the first row, and the columns are only
 * known at the end of the log, so the one parse writes every trace's and event's attributes to a
 * scratch file (`SpoolFile`) in a cheap text format while it collects the columns; the rows are
 * then read back from that file. A second read (the normalizer's grouped pass) reads the file
 * again, not the XML. Same header, rows, lines and checks as the two-pass `readXes`.
 *
 * The format, one record per trace (written before its first event) and per event, each ended
 * by \x02, fields split by \x01:
 * - trace: `T`, then pairs of column (first-seen number) and value;
 * - event: its line, then the same pairs.
 * A value holding \x01, \x02 or \x03 (possible only as character references in XML 1.1) has
 * them escaped as \x03 followed by `A`, `B` or `C`.
 *
 * Memory holds one chunk of input or of the file, the columns and one trace's attributes.
 */
import { StringDecoder } from "node:string_decoder";
import type { TypedHint } from "../../../domain/event-log/index.js";
import { SpoolFile } from "../../../store/scratch/spool-file.js";
import { DatasetError } from "../csv/errors.js";
import type { EventRowSink } from "../event-log/event-rows.js";
import type { XesType } from "./attribute-types.js";
import { ColumnSet } from "./column-set.js";
import { feed, type XesSummary } from "./read-xes.js";
import { type Scope, type XesVisitor, XesWalker } from "./xes-walker.js";

const RECORD = "\x02";
const FIELD = "\x01";
const ESCAPE = "\x03";
// biome-ignore lint/suspicious/noControlCharactersInRegex: the spool's separators are control characters
const SPECIAL = /[\x01-\x03]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the spool's separators are control characters
const SPECIALS = /[\x01-\x03]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: the spool's separators are control characters
const ESCAPED = /\x03([ABC])/g;

interface Spooled {
  readonly columns: readonly string[];
  readonly typedHints: ReadonlyMap<string, TypedHint>;
  /** Column of each first-seen number. */
  readonly columnOf: readonly number[];
  readonly events: number;
}

export class XesSpool {
  private spooled: Spooled | undefined;

  private constructor(private readonly file: SpoolFile) {}

  /** A spool in a new directory under `tempDir` (the OS temp directory by default). */
  static create(tempDir?: string): XesSpool {
    return new XesSpool(SpoolFile.create(tempDir));
  }

  /**
   * Reads the log into `sink`: the first call parses what `source()` yields (XML bytes, already
   * gunzipped) into the spool, then every call hands the sink the header, the rows (awaiting
   * `flush` after each MiB of the spool) and `end`. Throws DatasetError for a log that cannot be
   * read, before any row.
   */
  async read(source: () => AsyncIterable<Uint8Array>, sink: EventRowSink): Promise<XesSummary> {
    this.spooled ??= await this.spool(source());
    const { columns, typedHints, events } = this.spooled;
    sink.header(columns, typedHints);
    await this.replay(sink);
    await sink.end();
    return { columns, events };
  }

  /** Closes and deletes the spool file. */
  close(): void {
    this.file.close();
  }

  private async spool(source: AsyncIterable<Uint8Array>): Promise<Spooled> {
    const writer = new SpoolWriter(this.file);
    const walker = new XesWalker(writer, { checkValues: true });
    await feed(walker, source);
    walker.end();
    if (walker.events === 0) {
      throw new DatasetError(
        walker.logEndLine,
        "the log has no events: an XES log needs at least one <trace> holding an <event>",
      );
    }
    this.file.flush();
    const columns = writer.columns.names();
    const index = new Map(columns.map((name, i) => [name, i]));
    return {
      columns,
      typedHints: writer.columns.typedHints(),
      columnOf: writer.seen.map((name) => index.get(name) as number),
      events: walker.events,
    };
  }

  private async replay(sink: EventRowSink): Promise<void> {
    const { columns, columnOf } = this.spooled as Spooled;
    const traceCells: string[] = columns.map(() => "");
    const decoder = new StringDecoder("utf8");
    let carried = "";
    for (const chunk of this.file.chunks()) {
      const text = carried + decoder.write(chunk);
      const end = text.lastIndexOf(RECORD);
      if (end < 0) {
        carried = text;
        continue;
      }
      carried = text.slice(end + 1);
      const escaped = text.includes(ESCAPE);
      const records = text.slice(0, end).split(RECORD);
      for (const record of records) {
        const fields = record.split(FIELD);
        const first = fields[0] as string;
        const cells = first === "T" ? traceCells : traceCells.slice();
        if (first === "T") cells.fill("");
        for (let i = 1; i < fields.length; i += 2) {
          const value = fields[i + 1] as string;
          cells[columnOf[Number(fields[i])] as number] = escaped ? unescapeValue(value) : value;
        }
        if (first !== "T") sink.row(cells, Number(first));
      }
      await sink.flush();
    }
    if (carried + decoder.end() !== "") throw new Error("the spool file ends inside a record");
  }
}

/**
 * The first (and only) parse: columns collected, attributes written to the spool. Columns are
 * noted as they come rather than at each trace's end (as ColumnCollector does for a head that
 * may stop inside a trace): a whole log's traces all end, so the set is the same; and a key is
 * noted again only when its type changes, since noting the same type twice changes nothing.
 */
class SpoolWriter implements XesVisitor {
  readonly columns = new ColumnSet();
  private readonly traceTypes = new Map<string, XesType>();
  private readonly eventTypes = new Map<string, XesType>();
  /** Column names by first-seen number. */
  readonly seen: string[] = [];
  private readonly numbers = new Map<string, number>();
  private readonly traceKeys = new Map<string, number>();
  private readonly eventKeys = new Map<string, number>();
  private trace = "T";
  private traceWritten = false;
  private event = "";

  constructor(private readonly file: SpoolFile) {}

  global(scope: Scope, key: string, type: XesType): void {
    this.columns.note(scope, key, type);
  }

  traceStart(): void {
    this.trace = "T";
    this.traceWritten = false;
  }

  traceAttribute(key: string, type: XesType, value: string): void {
    if (this.traceTypes.get(key) !== type) {
      this.traceTypes.set(key, type);
      this.columns.note("trace", key, type);
    }
    const number = this.traceKeys.get(key) ?? this.numberKey(this.traceKeys, key, `case:${key}`);
    this.trace += `${FIELD}${number}${FIELD}${escapeValue(value)}`;
  }

  eventStart(line: number): void {
    if (!this.traceWritten) {
      this.file.append(this.trace + RECORD);
      this.traceWritten = true;
    }
    this.event = String(line);
  }

  eventAttribute(key: string, type: XesType, value: string): void {
    if (this.eventTypes.get(key) !== type) {
      this.eventTypes.set(key, type);
      this.columns.note("event", key, type);
    }
    const number = this.eventKeys.get(key) ?? this.numberKey(this.eventKeys, key, key);
    this.event += `${FIELD}${number}${FIELD}${escapeValue(value)}`;
  }

  eventEnd(): void {
    this.file.append(this.event + RECORD);
  }

  traceEnd(): void {}

  /** The number of the column `name` (a trace's `case:k` or an event's key), new when unseen. */
  private numberKey(keys: Map<string, number>, key: string, name: string): number {
    let number = this.numbers.get(name);
    if (number === undefined) {
      number = this.seen.length;
      this.seen.push(name);
      this.numbers.set(name, number);
    }
    keys.set(key, number);
    return number;
  }
}

function escapeValue(value: string): string {
  if (!SPECIAL.test(value)) return value;
  return value.replace(SPECIALS, (c) => ESCAPE + String.fromCharCode(c.charCodeAt(0) + 0x40));
}

function unescapeValue(value: string): string {
  return value.replace(ESCAPED, (_, c: string) => String.fromCharCode(c.charCodeAt(0) - 0x40));
}
