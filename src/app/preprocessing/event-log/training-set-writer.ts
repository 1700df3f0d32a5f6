/**
 * Writes whole cases to the training or holdout set: the case's events in time order, each as
 * a row of the fixed training-set columns (canonical cells, see RowPlan), with the case's labels
 * on every row; and counts what it wrote, per set, for the summary.
 */
import {
  type CaseLabeler,
  createLabeler,
  type EffectiveDefinition,
  type LabelCounts,
  type TrainingSetSummary,
} from "../../../domain/event-log/index.js";
import { ChunkedCsvWriter, csvField } from "../csv/csv-writer.js";
import type { ChunkSink } from "../csv/types.js";
import { type CaseEvent, sortByTime } from "./case-events.js";
import type { OutputCell, RowPlan } from "./row-plan.js";

/** Lines are handed to the CSV writer in batches of about this many characters. */
const BATCH_CHARS = 4096;

export interface OutputSinks {
  readonly training: ChunkSink;
  readonly holdout: ChunkSink;
}

class LabelTally {
  zeros = 0;
  ones = 0;
  add(label: 0 | 1 | undefined): void {
    if (label === 0) this.zeros++;
    else if (label === 1) this.ones++;
  }
  get counts(): LabelCounts {
    return { zeros: this.zeros, ones: this.ones };
  }
}

/** What was written to one of the two sets. */
class SetTally {
  rows = 0;
  cases = 0;
  readonly outcome = new LabelTally();
  readonly treatment = new LabelTally();

  summary(columns: readonly string[]): TrainingSetSummary {
    return {
      columns: columns.slice(),
      ...(columns.includes("OUTCOME") ? { outcome: this.outcome.counts } : {}),
      ...(columns.includes("TREATMENT") ? { treatment: this.treatment.counts } : {}),
    };
  }
}

export interface WrittenSets {
  readonly training: { readonly rows: number; readonly cases: number };
  readonly holdout: { readonly rows: number; readonly cases: number };
  /** The training set's columns and label classes (what `unmetNeeds` takes). */
  readonly trainingSet: TrainingSetSummary;
  readonly holdoutSet: TrainingSetSummary;
}

export class TrainingSetWriter {
  private readonly outputs: readonly OutputCell[];
  private readonly names: readonly string[];
  private readonly labeler: CaseLabeler;
  private readonly training: ChunkedCsvWriter;
  private readonly holdout: ChunkedCsvWriter;
  private readonly trainingTally = new SetTally();
  private readonly holdoutTally = new SetTally();
  /** The current case's label cells, by output column (CSV fields). */
  private readonly labelCells: string[];

  /** Writes the header of both sets at once. */
  constructor(definition: EffectiveDefinition, plan: RowPlan, sinks: OutputSinks) {
    this.outputs = plan.outputs;
    this.names = plan.names;
    this.labeler = createLabeler(definition);
    this.training = new ChunkedCsvWriter(sinks.training);
    this.holdout = new ChunkedCsvWriter(sinks.holdout);
    this.training.writeHeader(this.names);
    this.holdout.writeHeader(this.names);
    this.labelCells = this.outputs.map(() => "");
  }

  /** The training set's column names. */
  get columnNames(): readonly string[] {
    return this.names;
  }

  /** Writes one whole case (its events in file order; they are sorted here, in place). */
  writeCase(events: CaseEvent[], holdout: boolean): void {
    if (events.length === 0) return;
    const ordered = sortByTime(events);
    const labels = this.labeler(ordered);
    const labelCells = this.labelCells;
    this.outputs.forEach((output, i) => {
      if (output.label) labelCells[i] = csvField(output.label(labels));
    });
    const writer = holdout ? this.holdout : this.training;
    let text = "";
    for (const event of ordered) {
      text += this.lineOf(event);
      if (text.length >= BATCH_CHARS) {
        writer.addLines(text);
        text = "";
      }
    }
    if (text !== "") writer.addLines(text);
    const tally = holdout ? this.holdoutTally : this.trainingTally;
    tally.rows += ordered.length;
    tally.cases++;
    tally.outcome.add(labels.outcome);
    tally.treatment.add(labels.treatment);
  }

  /** Hands complete output chunks to the sinks (awaiting each write). */
  async flush(): Promise<void> {
    await this.training.flush();
    await this.holdout.flush();
  }

  /** Writes the rest of both sets. */
  async end(): Promise<void> {
    await this.training.end();
    await this.holdout.end();
  }

  written(): WrittenSets {
    const [training, holdout] = [this.trainingTally, this.holdoutTally];
    return {
      training: { rows: training.rows, cases: training.cases },
      holdout: { rows: holdout.rows, cases: holdout.cases },
      trainingSet: training.summary(this.names),
      holdoutSet: holdout.summary(this.names),
    };
  }

  /** The event's row of the training set, as a CSV line, with its LF. */
  private lineOf(event: CaseEvent): string {
    const outputs = this.outputs;
    const cells = event.cells;
    let line = "";
    for (let i = 0; i < outputs.length; i++) {
      const output = outputs[i] as OutputCell;
      if (i > 0) line += ",";
      if (output.label) line += this.labelCells[i] as string;
      else if (output.mayNeedQuotes) line += csvField(cells[output.index] as string);
      else line += cells[output.index] as string;
    }
    return `${line}\n`;
  }
}
