/**
 * The EventRowSink that turns the rows of an event log into its training and holdout sets (the
 * issue's "normalized" sets): at the header it settles the effective definition (the project's
 * definition with what the header and the reader's types imply); then every row is checked and
 * read as an event of its case, and cases reach the TrainingSetWriter whole, by one of the
 * CaseRouting ways (streamed, or grouped on disk).
 */
import {
  type EffectiveDefinition,
  type EventLogDefinition,
  resolveDefinition,
  type TrainingSetSummary,
  type TypedHint,
} from "../../../domain/event-log/index.js";
import type { CaseGroupingFile } from "../../../store/scratch/case-grouping-file.js";
import { CaseSplitter } from "../csv/case-split.js";
import { DatasetError } from "../csv/errors.js";
import { CaseEventReader } from "./case-events.js";
import { type CaseRouting, StreamedCases } from "./case-routing.js";
import type { EventRowSink } from "./event-rows.js";
import { GroupedCases } from "./grouped-cases.js";
import { rowPlan } from "./row-plan.js";
import { type OutputSinks, TrainingSetWriter } from "./training-set-writer.js";

export interface NormalizerOptions {
  /** The project's definition (as requested, or already effective). */
  readonly definition: EventLogDefinition;
  /** The legacy `case_id_column` of the project; '' or absent for none. */
  readonly caseIdColumn?: string;
  /** Share of the cases that go to the holdout set, in [0, 1). */
  readonly holdoutFraction: number;
  readonly sinks: OutputSinks;
  /** "stream": cases must come together (else CasesInterleaved); or group them in this file. */
  readonly grouping: "stream" | CaseGroupingFile;
}

export interface EventLogSummary {
  /** Data rows, each written once to one of the sets. */
  readonly rows: number;
  readonly trainingRows: number;
  readonly holdoutRows: number;
  /** Distinct cases. */
  readonly cases: number;
  readonly trainingCases: number;
  readonly holdoutCases: number;
  /** Cases of the training set with OUTCOME 1. */
  readonly positiveCases: number;
  /** Cases of the training set with TREATMENT 1. */
  readonly treatedCases: number;
  /** The header of both sets. */
  readonly columns: readonly string[];
  /** The log's CASE_ID column. */
  readonly caseIdColumn: string;
  /** The definition the sets were made with. */
  readonly definition: EffectiveDefinition;
  /** What `unmetNeeds` takes, for each set. */
  readonly trainingSet: TrainingSetSummary;
  readonly holdoutSet: TrainingSetSummary;
  /** True when the log interleaved cases and was grouped on disk. */
  readonly grouped: boolean;
}

interface Started {
  readonly definition: EffectiveDefinition;
  readonly events: CaseEventReader;
  readonly writer: TrainingSetWriter;
  readonly cases: CaseRouting;
}

export class EventLogNormalizer implements EventRowSink {
  private readonly splitter: CaseSplitter;
  private started: Started | undefined;
  private rows = 0;

  constructor(private readonly options: NormalizerOptions) {
    const fraction = options.holdoutFraction;
    if (typeof fraction !== "number" || !(fraction >= 0 && fraction < 1)) {
      throw new RangeError(`holdoutFraction must be in [0, 1), got ${String(fraction)}`);
    }
    this.splitter = new CaseSplitter(fraction);
  }

  header(columns: readonly string[], typedHints: ReadonlyMap<string, TypedHint>): void {
    if (this.started) throw new Error("the header came twice");
    const resolved = resolveDefinition(columns, this.options.definition, {
      typedHints,
      caseIdColumn: this.options.caseIdColumn ?? "",
    });
    if (!resolved.ok) {
      throw new DatasetError(
        1,
        `the project's definition does not fit this log: ${resolved.problems.join("; ")}`,
      );
    }
    const definition = resolved.definition;
    const plan = rowPlan(definition);
    const writer = new TrainingSetWriter(definition, plan, this.options.sinks);
    const grouping = this.options.grouping;
    this.started = {
      definition,
      events: new CaseEventReader(definition, plan),
      writer,
      cases:
        grouping === "stream"
          ? new StreamedCases(this.splitter, writer)
          : new GroupedCases(this.splitter, writer, grouping, definition.columns.size),
    };
  }

  row(cells: readonly string[], line: number): void {
    const { definition, events, cases } = this.start();
    if (cells.length !== definition.columns.size) {
      throw new Error(
        `line ${line}: a row of ${cells.length} cells for ${definition.columns.size} columns`,
      );
    }
    const caseId = events.caseIdOf(cells, line);
    cases.add(caseId, events.eventOf(cells, line));
    this.rows++;
  }

  async flush(): Promise<void> {
    await this.started?.writer.flush();
  }

  async end(): Promise<void> {
    const { cases, writer } = this.start();
    await cases.end();
    await writer.end();
  }

  /** What was written; call after `end`. */
  summary(): EventLogSummary {
    const { definition, events, writer } = this.start();
    const written = writer.written();
    return {
      rows: this.rows,
      trainingRows: written.training.rows,
      holdoutRows: written.holdout.rows,
      cases: this.splitter.cases,
      trainingCases: written.training.cases,
      holdoutCases: written.holdout.cases,
      positiveCases: written.trainingSet.outcome?.ones ?? 0,
      treatedCases: written.trainingSet.treatment?.ones ?? 0,
      columns: writer.columnNames.slice(),
      caseIdColumn: events.caseColumn,
      definition,
      trainingSet: written.trainingSet,
      holdoutSet: written.holdoutSet,
      grouped: this.options.grouping !== "stream",
    };
  }

  private start(): Started {
    if (!this.started) throw new Error("rows came before the header");
    return this.started;
  }
}
