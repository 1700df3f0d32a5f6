/**
 * Runs `onTrainingData` for every new job: at most `concurrency` at a time, the rest waiting in
 * arrival order. A TrainingData whose plugin_id is queued, running, or finished recently is a
 * redelivery and is ignored. A job that ends without a final report (trained, fail, reject) is
 * failed by the SDK, except when the plugin shuts down before the job reported anything: then
 * the core still has it WAITING and sends it again to the next instance that connects.
 */
import type { Logger } from "pino";
import type { TrainingData } from "../gen/trainingcore/v1/plugin_service.js";
import { definitionFromProto } from "./definition.js";
import { PluginReportError, type ReportKind } from "./errors.js";
import type { Report } from "./link.js";
import { RecentSet } from "./recent-set.js";
import { settlesWithin } from "./timing.js";
import type { JobContext, TrainedModel, TrainingDataHandler, TrainingJob } from "./types.js";

export interface JobRunnerDeps {
  readonly handler: TrainingDataHandler;
  readonly concurrency: number;
  readonly submit: (kind: ReportKind, pluginId: number, message: Report) => Promise<void>;
  readonly download: (trainingDfName: string, signal: AbortSignal) => AsyncIterable<Buffer>;
  /** Stores a job's model file in the core (ModelService.UploadModel). */
  readonly uploadModel: (
    target: { projectId: number; pluginId: number },
    modelName: string,
    file: string | Uint8Array,
    signal: AbortSignal,
  ) => Promise<unknown>;
  readonly logger: Logger;
}

/** Plugin ids of finished jobs remembered to ignore redeliveries. */
const rememberedJobs = 10_000;
const maxDetailLength = 4_000;

interface JobState {
  reported: boolean;
  final: boolean;
}

function jobOf(data: TrainingData): TrainingJob {
  const definition = definitionFromProto(data.definition);
  return {
    projectId: data.projectId,
    pluginId: data.pluginId,
    trainingDfName: data.trainingDfName,
    additionalInfo: data.additionalInfo ?? {},
    parameters: data.parameters ?? {},
    ...(definition && { definition }),
  };
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return (text || "onTrainingData failed").slice(0, maxDetailLength);
}

/** A refused model upload as the refusal of the `trained` report it belongs to. */
function uploadRefusal(error: unknown, pluginId: number): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "number" || code === 0) return error;
  const details = (error as { details?: unknown }).details;
  const message = `the core refused the model: ${typeof details === "string" ? details : String(error)}`;
  return new PluginReportError(code, message, "trained", pluginId);
}

export class JobRunner {
  private readonly queue: TrainingJob[] = [];
  /** Queued and running jobs. */
  private readonly active = new Set<number>();
  /** Recently finished jobs. */
  private readonly finished = new RecentSet<number>(rememberedJobs);
  private readonly running = new Map<number, Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(private readonly deps: JobRunnerDeps) {}

  /** Takes a TrainingData: starts or queues it, unless it is a redelivery. */
  offer(data: TrainingData): void {
    const { pluginId, projectId } = data;
    if (this.stopping.signal.aborted) return;
    if (this.active.has(pluginId) || this.finished.has(pluginId)) {
      this.deps.logger.debug({ projectId, pluginId }, "ignoring a repeated TrainingData");
      return;
    }
    this.active.add(pluginId);
    this.queue.push(jobOf(data));
    this.pump();
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Drops queued jobs, aborts running ones and waits for them, at most `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping.abort();
    for (const job of this.queue.splice(0)) this.active.delete(job.pluginId);
    await settlesWithin(Promise.allSettled(this.running.values()), timeoutMs);
  }

  private pump(): void {
    while (this.running.size < this.deps.concurrency && !this.stopping.signal.aborted) {
      const job = this.queue.shift();
      if (!job) return;
      const done = this.execute(job).finally(() => {
        this.running.delete(job.pluginId);
        this.active.delete(job.pluginId);
        this.remember(job.pluginId);
        this.pump();
      });
      this.running.set(job.pluginId, done);
    }
  }

  private remember(pluginId: number): void {
    this.finished.add(pluginId);
  }

  private async execute(job: TrainingJob): Promise<void> {
    const logger = this.deps.logger.child({ projectId: job.projectId, pluginId: job.pluginId });
    const state: JobState = { reported: false, final: false };
    const ctx = this.contextOf(job, state);
    logger.info("job started");
    let failure: string | undefined;
    try {
      await this.deps.handler(job, ctx);
      if (state.final) {
        logger.info("job finished");
        return;
      }
      failure = "onTrainingData returned without reporting trained, fail or reject";
    } catch (error) {
      if (state.final) {
        logger.warn({ err: error }, "onTrainingData failed after its final report");
        return;
      }
      logger.warn({ err: error }, "onTrainingData failed");
      failure = messageOf(error);
    }
    if (this.stopping.signal.aborted) {
      if (!state.reported) {
        logger.info("job left for the core to offer again (the plugin is stopping)");
        return;
      }
      failure = `the plugin stopped during the job: ${failure}`.slice(0, maxDetailLength);
    }
    await ctx.fail(failure).catch((error: unknown) => {
      logger.warn({ err: error }, "could not report the failure");
    });
  }

  private contextOf(job: TrainingJob, state: JobState): JobContext {
    const { projectId, pluginId } = job;
    const send = (kind: ReportKind, message: Report, final = false) => {
      state.reported = true;
      if (final) state.final = true;
      return this.deps.submit(kind, pluginId, message);
    };
    const signal = this.stopping.signal;
    return {
      signal,
      download: () => this.deps.download(job.trainingDfName, signal),
      accept: () =>
        send("accept", { $case: "dataReport", value: { projectId, pluginId, applicable: true } }),
      reject: () =>
        send(
          "reject",
          { $case: "dataReport", value: { projectId, pluginId, applicable: false } },
          true,
        ),
      started: () => send("started", { $case: "trainingStart", value: { projectId, pluginId } }),
      trained: async (model: string | TrainedModel) => {
        const { modelName, file } = typeof model === "string" ? { modelName: model } : model;
        if (file !== undefined) {
          state.reported = true;
          await this.deps
            .uploadModel({ projectId, pluginId }, modelName, file, signal)
            .catch((error: unknown) => {
              throw uploadRefusal(error, pluginId);
            });
        }
        return send(
          "trained",
          { $case: "modelName", value: { projectId, pluginId, modelName } },
          true,
        );
      },
      fail: (detail: string) =>
        send("fail", { $case: "errorReport", value: { projectId, pluginId, detail } }, true),
    };
  }
}
