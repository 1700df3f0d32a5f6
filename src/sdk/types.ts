/** Public types of the plugin SDK. */
import type { ChannelCredentials } from "@grpc/grpc-js";
import type { Logger } from "pino";
import type { ColumnDefinition, EventLogDefinition } from "./definition.js";

/** Who the plugin is: sent as the `OnlineReport` that registers every stream. */
export interface PluginIdentity {
  /** The plugin key: a stable name of the plugin kind, 1 to 200 characters from [A-Za-z0-9._:-]. */
  readonly id: string;
  /** A human-readable name. */
  readonly name: string;
  /** The kind of model the plugin trains, for example `next-activity`. */
  readonly type: string;
  /** What the plugin does. */
  readonly description?: string;
  /** The plugin's default training parameters (JSON values). */
  readonly parameters?: Record<string, unknown>;
  /**
   * The columns the plugin cannot do without, for example `["OUTCOME"]` for a plugin that
   * predicts outcomes. The core makes a membership NOT_APPLICABLE itself, without a job, when the
   * training set lacks one (or a needed OUTCOME or TREATMENT has only one class).
   */
  readonly neededColumns?: readonly ColumnDefinition[];
}

/** One `TrainingData`: a dataset offered to this plugin for one project. */
export interface TrainingJob {
  readonly projectId: number;
  /** This plugin's membership in the project; identifies the job. */
  readonly pluginId: number;
  /** Opaque name of the training set (read it with `ctx.download()`). */
  readonly trainingDfName: string;
  /** Extra information the consumer gave for this plugin key. */
  readonly additionalInfo: Record<string, unknown>;
  /** The plugin's default parameters overlaid with the consumer's values. */
  readonly parameters: Record<string, unknown>;
  /**
   * The project's event-log definition. When set, the training set has the fixed column names
   * (`CASE_ID`, `ACTIVITY`, `TIMESTAMP`, ...); undefined for a project created without one,
   * whose training set keeps the original header.
   */
  readonly definition?: EventLogDefinition;
}

/**
 * What a handler can do for its job. Every report method resolves once the core durably stored
 * the report, and rejects with a `PluginReportError` when the core refused it (or with a
 * `PluginStoppedError` when the plugin stopped before the core answered).
 */
export interface JobContext {
  /** Aborted when the plugin shuts down. */
  readonly signal: AbortSignal;
  /** Streams the training CSV (header row first) from the core, in chunks. */
  download(): AsyncIterable<Buffer>;
  /** The dataset suits the plugin (DataReport applicable=true). */
  accept(): Promise<void>;
  /** The dataset does not suit the plugin (DataReport applicable=false). Final. */
  reject(): Promise<void>;
  /** Training started (TrainingStart). */
  started(): Promise<void>;
  /**
   * Training finished (ModelName). Final. With `file` (a path, or the bytes), the model is first
   * stored in the core (ModelService.UploadModel) under `modelName`, so that any instance of
   * the key, or a consumer, can download it; without, the plugin keeps its model itself.
   * `trained(name)` is `trained({ modelName: name })`. A refused upload rejects with a
   * `PluginReportError` (report "trained") and reports nothing.
   */
  trained(model: string | TrainedModel): Promise<void>;
  /** Training failed; `detail` says why, for a person to read (ErrorReport). Final. */
  fail(detail: string): Promise<void>;
}

/** What `ctx.trained` reports. */
export interface TrainedModel {
  /** The model's name (ModelName.model_name); 1 to 200 characters when a file is uploaded. */
  readonly modelName: string;
  /** The model file to store in the core: a path, or its bytes. */
  readonly file?: string | Uint8Array;
}

export type TrainingDataHandler = (job: TrainingJob, ctx: JobContext) => unknown;

/** One `PrescriptionRequest`: running cases of a project this plugin trained for. */
export interface PrescriptionJob {
  /** Identifies the request; the SDK echoes it in every answer. */
  readonly requestId: string;
  readonly projectId: number;
  /** This plugin's membership in the project (the `pluginId` of its TrainingData). */
  readonly pluginId: number;
  /** The model name the plugin reported for the project. */
  readonly modelName: string;
  /** Opaque name of the running-cases set (read it with `ctx.cases()`); '' for a live case. */
  readonly datasetName: string;
  /**
   * A live request (PostEvents): the one running case, its events so far in time order; answer
   * it once with `ctx.answer(case.caseId, ...)`. `ctx.cases()` yields it too, so a handler
   * written for datasets answers live requests unchanged.
   */
  readonly case?: RunningCase;
  readonly parameters: Record<string, unknown>;
  readonly additionalInfo: Record<string, unknown>;
  readonly definition?: EventLogDefinition;
}

/** One running case: its events so far, in time order, each keyed by column name. */
export interface RunningCase {
  readonly caseId: string;
  /** Values as the CSV holds them (strings); empty cells left out. */
  readonly events: readonly Record<string, string>[];
}

/** What a plugin prescribes for one case. */
export interface Prescription {
  /** The kind, e.g. `NEXT_ACTIVITY`, `ALARM`, `TREATMENT_EFFECT` (at most 200 characters). */
  readonly type: string;
  /** Any JSON value (finite numbers); null when the plugin has no prescription for the case. */
  readonly output: unknown;
  /** Why `output` is null, or a note for people. */
  readonly detail?: string;
  /** Which model answered and its scores, e.g. `{ name, accuracy }`. */
  readonly model?: Record<string, unknown>;
}

/**
 * What a handler can do for its prescription request. Answers are buffered and sent in parts
 * of `partSize` cases, each re-sent after a reconnect until acked; the final part (with
 * `last`) goes when the handler returns. A handler that throws answers with a
 * PrescriptionError (the cases answered before keep their prescriptions).
 */
export interface PrescriptionContext {
  /** Aborted when the plugin shuts down. */
  readonly signal: AbortSignal;
  /** Downloads the running-cases set and yields its cases in order (a live request: its case). */
  cases(): AsyncIterable<RunningCase>;
  /**
   * Buffers the prescription for a case; resolves at once, or once earlier parts were acked
   * when too many are on their way. Rejects with a PluginReportError when the core refused a
   * part (then the request is over).
   */
  answer(caseId: string, prescription: Prescription): Promise<void>;
  /** The request cannot be answered; `detail` says why, for a person to read. Final. */
  fail(detail: string): Promise<void>;
  /** The model stored with the core for this membership (see ModelService). */
  model(): Promise<Buffer>;
}

export type PrescriptionHandler = (request: PrescriptionJob, ctx: PrescriptionContext) => unknown;

/** Exponential backoff with full jitter between reconnect attempts. */
export interface ReconnectOptions {
  /** Upper bound of the first delay. Default 250 ms. */
  readonly initialDelayMs: number;
  /** Upper bound of every delay. Default 30 s. */
  readonly maxDelayMs: number;
}

export interface RunPluginOptions {
  /**
   * host:port of the training core, or of each of its replicas: the plugin starts on a random
   * one and moves to the next whenever its stream drops.
   */
  readonly address: string | readonly string[];
  /** Default: insecure (plaintext). */
  readonly credentials?: ChannelCredentials;
  /** A plugin token (`training-core token create --plugin KEY`), sent on every call. */
  readonly token?: string;
  /** The plugin's identity (`OnlineReport`). */
  readonly report: PluginIdentity;
  /** Called once per job; must end it with `trained`, `fail` or `reject`. */
  readonly onTrainingData: TrainingDataHandler;
  /**
   * Called once per prescription request (running cases of a trained project). Giving it
   * registers the plugin as one that prescribes (`OnlineReport.prescribes`).
   */
  readonly onPrescription?: PrescriptionHandler;
  /** Jobs run at the same time; further jobs wait in arrival order. Default 1. */
  readonly concurrency?: number;
  /** Prescription requests run at the same time (apart from jobs). Default 1. */
  readonly prescriptionConcurrency?: number;
  /** Cases per PrescriptionResult part. Default 1,000. */
  readonly partSize?: number;
  /** Aborting it shuts the plugin down; `runPlugin` then resolves. */
  readonly signal?: AbortSignal;
  /** A pino logger. Default: silent. */
  readonly logger?: Logger;
  readonly reconnect?: Partial<ReconnectOptions>;
  /** How long a shutdown waits for running jobs and outstanding acks. Default 5 s. */
  readonly shutdownTimeoutMs?: number;
}
