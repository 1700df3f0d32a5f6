/**
 * The two things the XES reader does with a walk over a log: collect its columns (the first
 * pass, and the head InspectDataset shows), and turn each event into a row (the second pass).
 * Both hold one trace at most: the collector the current trace's keys (and a few sample
 * events), the emitter the current trace's cells.
 */
import type { EventRowSink } from "../event-log/event-rows.js";
import type { XesType } from "./attribute-types.js";
import { ColumnSet } from "./column-set.js";
import type { Scope, XesVisitor } from "./xes-walker.js";

/**
 * Collects the columns of the `<global>` declarations and of complete traces (a trace counts at
 * its end, so that a head cut inside a trace shows only what was complete), and the first
 * `maxSamples` events of complete traces.
 */
export class ColumnCollector implements XesVisitor {
  readonly columns = new ColumnSet();
  private readonly traceColumns = new ColumnSet();
  private readonly samples: ReadonlyMap<string, string>[] = [];
  private traceSamples: Map<string, string>[] = [];
  private readonly traceValues = new Map<string, string>();
  private sample: Map<string, string> | undefined;

  constructor(private readonly maxSamples = 0) {}

  global(scope: Scope, key: string, type: XesType): void {
    this.columns.note(scope, key, type);
  }

  traceStart(): void {
    this.traceColumns.clear();
    this.traceSamples = [];
    if (this.sampling()) this.traceValues.clear();
  }

  traceAttribute(key: string, type: XesType, value: string): void {
    this.traceColumns.note("trace", key, type);
    if (this.sampling()) this.traceValues.set(`case:${key}`, value);
  }

  eventStart(): void {
    this.sample = this.sampling() ? new Map(this.traceValues) : undefined;
  }

  eventAttribute(key: string, type: XesType, value: string): void {
    this.traceColumns.note("event", key, type);
    this.sample?.set(key, value);
  }

  eventEnd(): void {
    if (this.sample !== undefined) this.traceSamples.push(this.sample);
    this.sample = undefined;
  }

  traceEnd(): void {
    this.columns.addAll(this.traceColumns);
    this.samples.push(...this.traceSamples);
  }

  /** The sample events as rows of `columns` ("" where an event lacks a key). */
  sampleRows(columns: readonly string[]): string[][] {
    return this.samples.map((sample) => columns.map((name) => sample.get(name) ?? ""));
  }

  private sampling(): boolean {
    return this.samples.length + this.traceSamples.length < this.maxSamples;
  }
}

/** Hands each event to the sink as a row: the trace's attributes, then the event's. */
export class RowEmitter implements XesVisitor {
  /** Column of each trace attribute key (`k` → `case:k`). */
  private readonly caseColumns = new Map<string, number>();
  /** Column of each event attribute key. */
  private readonly eventColumns = new Map<string, number>();
  private readonly traceCells: string[];
  private cells: string[] = [];
  private eventLine = 0;

  constructor(
    columns: readonly string[],
    private readonly sink: EventRowSink,
  ) {
    columns.forEach((name, index) => {
      this.eventColumns.set(name, index);
      if (name.startsWith("case:")) this.caseColumns.set(name.slice("case:".length), index);
    });
    this.traceCells = columns.map(() => "");
  }

  global(): void {}

  traceStart(): void {
    this.traceCells.fill("");
  }

  traceAttribute(key: string, _type: XesType, value: string): void {
    this.traceCells[columnOf(this.caseColumns, key)] = value;
  }

  eventStart(line: number): void {
    this.cells = this.traceCells.slice();
    this.eventLine = line;
  }

  eventAttribute(key: string, _type: XesType, value: string): void {
    this.cells[columnOf(this.eventColumns, key)] = value;
  }

  eventEnd(): void {
    this.sink.row(this.cells, this.eventLine);
  }

  traceEnd(): void {}
}

function columnOf(columns: ReadonlyMap<string, number>, key: string): number {
  const index = columns.get(key);
  // The first pass saw every key of the (immutable) stored file; a new one means it changed.
  if (index === undefined) {
    throw new DatasetChangedError(`the key ${JSON.stringify(key)} was not there the first time`);
  }
  return index;
}

/** The second read of a dataset found what the first did not: the stored file changed. */
export class DatasetChangedError extends Error {
  override readonly name = "DatasetChangedError";
  constructor(detail: string) {
    super(`the dataset changed between its two reads (${detail}); preprocess it again`);
  }
}
