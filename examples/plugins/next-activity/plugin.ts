/**
 * Next-activity plugin, built on the TypeScript SDK: learns, for every activity of an event log,
 * how often each activity follows it within a case (ordered by timestamp), and how often the
 * case ends after it (`__end__`). The model is written as JSON to
 * `<modelDir>/next-activity-<projectId>-<pluginId>.json`, and stored in the core under that name
 * (`ctx.trained({ modelName, file })`), so any instance of the key can read it back.
 *
 * A project created with a definition gives a training set with fixed column names, which the
 * plugin reads as they are; for a project without one it guesses the columns from their names.
 *
 * It prescribes too: for each running case, the most likely next activity after the case's last
 * one, with its probability (`NEXT_ACTIVITY`, output `{ activity, probability }`).
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parse } from "csv-parse";
import type { Logger } from "pino";
import {
  type JobContext,
  type Prescription,
  type PrescriptionContext,
  type PrescriptionJob,
  type ReconnectOptions,
  type RunningCase,
  runPlugin,
  type TrainingJob,
} from "../../../src/sdk/index.js";

export const endMarker = "__end__";

/** The columns of a training set made with a definition, in order of preference (exact names). */
export const fixedColumnNames = {
  case: ["CASE_ID"],
  activity: ["ACTIVITY"],
  // An interval log has START_TIMESTAMP and END_TIMESTAMP; an event happened when it ended.
  timestamp: ["TIMESTAMP", "END_TIMESTAMP"],
} as const;

/** Recognised column names of a legacy training set, by preference (case-insensitive). */
export const columnNames = {
  case: ["case:concept:name", "case_id", "caseid", "case"],
  activity: ["concept:name", "activity", "event"],
  timestamp: ["time:timestamp", "timestamp", "time"],
} as const;

export type ColumnRole = keyof typeof columnNames;
export type Columns = Record<ColumnRole, { readonly name: string; readonly index: number }>;

export interface NextActivityModel {
  readonly type: "next-activity";
  readonly projectId: number;
  readonly pluginId: number;
  /** The columns the model was trained on. */
  readonly columns: Record<ColumnRole, string>;
  readonly cases: number;
  readonly events: number;
  /** How often each activity started a case. */
  readonly start: Record<string, number>;
  /** For each activity, how often each activity followed it; `__end__`: the case ended. */
  readonly next: Record<string, Record<string, number>>;
}

export interface NextActivityPluginOptions {
  /** host:port of the training core, or of each of its replicas. */
  readonly address: string | readonly string[];
  /** Where model files are written (created if missing). */
  readonly modelDir: string;
  /** Aborting it stops the plugin. */
  readonly signal: AbortSignal;
  /** The plugin key. Default `plugin-next-activity`. */
  readonly key?: string;
  /** A plugin token, when the core requires tokens. */
  readonly token?: string;
  readonly logger?: Logger;
  readonly reconnect?: Partial<ReconnectOptions>;
  readonly concurrency?: number;
}

/** Runs the plugin until `signal` aborts (see `runPlugin`). */
export function startNextActivityPlugin(options: NextActivityPluginOptions): Promise<void> {
  return runPlugin({
    address: options.address,
    token: options.token,
    signal: options.signal,
    logger: options.logger,
    reconnect: options.reconnect,
    concurrency: options.concurrency,
    report: {
      id: options.key ?? "plugin-next-activity",
      name: "Next activity (transition frequencies)",
      type: "next-activity",
      description:
        "Counts which activity follows which within a case, ordered by timestamp; " +
        "needs case, activity and timestamp columns.",
      parameters: {},
      // Every training set made with a definition has a timestamp: only these can be missing.
      neededColumns: ["CASE_ID", "ACTIVITY"],
    },
    onTrainingData: (job, ctx) => train(job, ctx, options.modelDir),
    onPrescription: prescriber(options.modelDir, options.logger),
  });
}

/** The case, activity and timestamp columns of a legacy header, guessed from their names. */
export function findColumns(header: readonly string[]): Columns | undefined {
  const normalized = header.map((name) => name.trim().toLowerCase());
  return columnsAmong(header, normalized, columnNames);
}

/** The fixed CASE_ID, ACTIVITY and TIMESTAMP (or END_TIMESTAMP) columns of a training set. */
export function findFixedColumns(header: readonly string[]): Columns | undefined {
  return columnsAmong(header, header, fixedColumnNames);
}

/** The columns of the job's training set; throws when a definition's fixed columns are missing. */
export function columnsOf(job: TrainingJob, header: readonly string[]): Columns | undefined {
  if (!job.definition) return findColumns(header);
  const columns = findFixedColumns(header);
  if (!columns) {
    throw new Error(
      "the training set of a project with a definition must have the columns CASE_ID, " +
        `ACTIVITY and TIMESTAMP or END_TIMESTAMP; its header is ${JSON.stringify(header.slice(0, 30))}`,
    );
  }
  return columns;
}

function columnsAmong(
  header: readonly string[],
  searched: readonly string[],
  candidates: Record<ColumnRole, readonly string[]>,
): Columns | undefined {
  const find = (role: ColumnRole) => {
    for (const candidate of candidates[role]) {
      const index = searched.indexOf(candidate);
      if (index >= 0) return { name: header[index] as string, index };
    }
    return undefined;
  };
  const [caseColumn, activity, timestamp] = [find("case"), find("activity"), find("timestamp")];
  if (!caseColumn || !activity || !timestamp) return undefined;
  return { case: caseColumn, activity, timestamp };
}

/** Milliseconds since the epoch; accepts ISO 8601 with a space instead of the `T`. */
export function parseTimestamp(value: string): number {
  const trimmed = value.trim();
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? Date.parse(trimmed.replace(" ", "T")) : ms;
}

interface Event {
  readonly time: number;
  readonly row: number;
  readonly activity: string;
}

/** Collects events per case and turns them into transition counts. */
export class NextActivityCounter {
  private readonly cases = new Map<string, Event[]>();
  private rows = 0;

  constructor(private readonly columns: Columns) {}

  add(record: readonly string[]): void {
    const row = ++this.rows;
    const raw = record[this.columns.timestamp.index] ?? "";
    const time = parseTimestamp(raw);
    if (Number.isNaN(time)) {
      throw new Error(
        `data row ${row}: cannot read timestamp ${JSON.stringify(raw.slice(0, 100))} in column "${this.columns.timestamp.name}"`,
      );
    }
    const caseId = record[this.columns.case.index] ?? "";
    const activity = record[this.columns.activity.index] ?? "";
    const events = this.cases.get(caseId);
    if (events) events.push({ time, row, activity });
    else this.cases.set(caseId, [{ time, row, activity }]);
  }

  model(job: TrainingJob): NextActivityModel {
    const start = new Map<string, number>();
    const next = new Map<string, Map<string, number>>();
    const count = (from: string, to: string) => {
      const followers = next.get(from) ?? new Map<string, number>();
      followers.set(to, (followers.get(to) ?? 0) + 1);
      next.set(from, followers);
    };
    for (const events of this.cases.values()) {
      events.sort((a, b) => a.time - b.time || a.row - b.row);
      const first = events[0];
      if (first) start.set(first.activity, (start.get(first.activity) ?? 0) + 1);
      events.forEach((event, i) => {
        count(event.activity, events[i + 1]?.activity ?? endMarker);
      });
    }
    return {
      type: "next-activity",
      projectId: job.projectId,
      pluginId: job.pluginId,
      columns: {
        case: this.columns.case.name,
        activity: this.columns.activity.name,
        timestamp: this.columns.timestamp.name,
      },
      cases: this.cases.size,
      events: this.rows,
      start: sortedCounts(start),
      next: Object.fromEntries(
        [...next.keys()].sort().map((from) => [from, sortedCounts(next.get(from) ?? new Map())]),
      ),
    };
  }
}

/** Counts as an object, most frequent first (ties by name). */
function sortedCounts(counts: Map<string, number>): Record<string, number> {
  return Object.fromEntries(
    [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0)),
  );
}

export function modelFileName(job: TrainingJob): string {
  return `next-activity-${job.projectId}-${job.pluginId}.json`;
}

async function train(job: TrainingJob, ctx: JobContext, modelDir: string): Promise<void> {
  const parser = parse({ bom: true, skip_empty_lines: true });
  // Errors of the download reach the loop below through the parser.
  pipeline(Readable.from(ctx.download()), parser, { signal: ctx.signal }).catch(() => {});
  let counter: NextActivityCounter | undefined;
  for await (const record of parser as AsyncIterable<string[]>) {
    if (counter) {
      counter.add(record);
      continue;
    }
    const columns = columnsOf(job, record);
    if (!columns) {
      await ctx.reject(); // leaving the loop stops the download
      return;
    }
    await ctx.accept();
    await ctx.started();
    counter = new NextActivityCounter(columns);
  }
  if (!counter) throw new Error("the training set is empty (no header row)");
  const model = counter.model(job);
  await mkdir(modelDir, { recursive: true });
  const fileName = modelFileName(job);
  const path = join(modelDir, fileName);
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(model, null, 2)}\n`);
  await rename(partial, path);
  // Stored in the core too, so any instance (or a consumer) can read it back.
  await ctx.trained({ modelName: fileName, file: path });
}

/**
 * The prescription for a running case: the activity that most often followed its last one in
 * training (the end of the case aside), with its share of everything that followed it. Null,
 * with a reason, for a case whose last activity the model never saw.
 */
export function nextActivityFor(
  model: NextActivityModel,
  running: RunningCase,
  modelName: string,
): Prescription {
  const column =
    model.columns.activity in (running.events[0] ?? {}) ? model.columns.activity : "ACTIVITY";
  const last = running.events.at(-1)?.[column];
  const about = { name: modelName, cases: model.cases };
  const followers = last === undefined ? undefined : model.next[last];
  if (!followers) {
    const detail =
      last === undefined
        ? `the case has no ${column} value`
        : `activity ${JSON.stringify(last)} was never seen in training`;
    return { type: "NEXT_ACTIVITY", output: null, detail, model: about };
  }
  const total = Object.values(followers).reduce((sum, n) => sum + n, 0);
  const [activity, count] = Object.entries(followers).find(([name]) => name !== endMarker) ?? [];
  if (activity === undefined || count === undefined) {
    return {
      type: "NEXT_ACTIVITY",
      output: null,
      detail: `cases always ended after ${JSON.stringify(last)} in training`,
      model: about,
    };
  }
  return {
    type: "NEXT_ACTIVITY",
    output: { activity, probability: count / total },
    model: about,
  };
}

/**
 * The `onPrescription` handler of one plugin instance. It loads each project's model once and
 * keeps it (live requests come one per event): the file in `modelDir` when this instance (or
 * another sharing the directory) trained it, else the copy stored in the core (`ctx.model()`,
 * downloaded once per run). A membership's model does not change once it is TRAINED.
 */
export function prescriber(
  modelDir: string,
  logger?: Logger,
): (request: PrescriptionJob, ctx: PrescriptionContext) => Promise<void> {
  const models = new Map<string, Promise<NextActivityModel>>();
  const load = async (request: PrescriptionJob, ctx: PrescriptionContext) => {
    const path = join(modelDir, request.modelName);
    const local = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return undefined;
      throw error;
    });
    const text = local ?? (await ctx.model()).toString("utf8");
    const model = JSON.parse(text) as NextActivityModel;
    logger?.info(
      {
        projectId: request.projectId,
        pluginId: request.pluginId,
        from: local !== undefined ? path : "core",
      },
      `model ${request.modelName} loaded`,
    );
    return model;
  };
  return async (request, ctx) => {
    const key = `${request.projectId}/${request.pluginId}`;
    let loading = models.get(key);
    if (!loading) {
      // Concurrent requests of one project share the load; a failed load is tried again.
      loading = load(request, ctx);
      models.set(key, loading);
      loading.catch(() => models.delete(key));
    }
    const model = await loading;
    // A live request holds one case; ctx.cases() yields it like a dataset's cases.
    for await (const running of ctx.cases()) {
      await ctx.answer(running.caseId, nextActivityFor(model, running, request.modelName));
    }
  };
}
