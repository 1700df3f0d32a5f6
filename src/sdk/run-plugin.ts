/**
 * `runPlugin`: keeps one registered Connect stream to the core for as long as the plugin runs,
 * reconnecting with exponential backoff and full jitter whenever the stream drops, and shuts
 * down cleanly when its signal aborts.
 */

import { type ChannelOptions, credentials as grpcCredentials, status } from "@grpc/grpc-js";
import { type Logger, pino } from "pino";
import { DatasetServiceClient } from "../gen/trainingcore/v1/dataset_service.js";
import { ModelServiceClient } from "../gen/trainingcore/v1/model_service.js";
import { PluginServiceClient } from "../gen/trainingcore/v1/plugin_service.js";
import { bearerInterceptor } from "./bearer.js";
import { columnDefinitions, isColumnDefinition, toProtoColumnDefinition } from "./definition.js";
import { downloadDataset } from "./download.js";
import { codeName, PluginRegistrationError, PluginStoppedError } from "./errors.js";
import { JobRunner } from "./jobs.js";
import { Link, type Report, type StreamEnd } from "./link.js";
import { type DownloadedModel, downloadModel, ModelCache } from "./model-download.js";
import { uploadModel } from "./model-upload.js";
import { Outbox } from "./outbox.js";
import { PrescriptionRunner } from "./prescriptions.js";
import { Backoff, settlesWithin, sleep, whenAborted } from "./timing.js";
import type { ReconnectOptions, RunPluginOptions } from "./types.js";

const defaultReconnect: ReconnectOptions = { initialDelayMs: 250, maxDelayMs: 30_000 };
const defaultShutdownTimeoutMs = 5_000;
/** How long a half-closed stream may take to end before it is cancelled. */
const halfCloseTimeoutMs = 2_000;
/** Registration refusals that no retry can fix. */
const fatalCodes: ReadonlySet<number> = new Set([
  status.INVALID_ARGUMENT,
  status.PERMISSION_DENIED,
  status.UNAUTHENTICATED,
  status.UNIMPLEMENTED,
]);

type Registration = { registered: true; lastedMs: number } | { registered: false; end: StreamEnd };
type Answer =
  | { kind: "ack"; code: number; details: string }
  | { kind: "end"; code: number; details: string }
  | { kind: "stop" };

/** Runs a plugin until `options.signal` aborts; rejects only when the core refuses to register it. */
export async function runPlugin(options: RunPluginOptions): Promise<void> {
  await new PluginRuntime(options).run();
}

function checkOptions(options: RunPluginOptions): void {
  const addresses = addressesOf(options.address);
  if (addresses.length === 0 || addresses.some((address) => !address)) {
    throw new TypeError("runPlugin: address is required (host:port, or a list of them)");
  }
  if (!options.report?.id) throw new TypeError("runPlugin: report.id (the plugin key) is required");
  if (typeof options.onTrainingData !== "function") {
    throw new TypeError("runPlugin: onTrainingData must be a function");
  }
  const needed: readonly unknown[] = options.report.neededColumns ?? [];
  const unknown = needed.findIndex((value) => !isColumnDefinition(value));
  if (unknown >= 0) {
    throw new TypeError(
      `runPlugin: report.neededColumns[${unknown}] is ${JSON.stringify(needed[unknown])}, ` +
        `not one of ${columnDefinitions.join(", ")}`,
    );
  }
  if (options.onPrescription !== undefined && typeof options.onPrescription !== "function") {
    throw new TypeError("runPlugin: onPrescription must be a function when given");
  }
  for (const name of ["concurrency", "prescriptionConcurrency", "partSize"] as const) {
    const value = options[name] ?? 1;
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new TypeError(`runPlugin: ${name} must be a positive integer, got ${value}`);
    }
  }
}

function addressesOf(address: string | readonly string[]): readonly string[] {
  return typeof address === "string" ? [address] : address;
}

interface CoreClients {
  readonly address: string;
  readonly plugins: PluginServiceClient;
  readonly datasets: DatasetServiceClient;
  readonly models: ModelServiceClient;
}

class PluginRuntime {
  private readonly logger: Logger;
  private readonly reconnect: ReconnectOptions;
  /** One pair of clients per replica address; `current` is the one in use. */
  private readonly cores: readonly CoreClients[];
  private current: number;
  private readonly outbox: Outbox;
  private readonly jobs: JobRunner;
  private readonly prescriptions: PrescriptionRunner | undefined;
  private readonly stopping = new AbortController();
  private readonly stopped: Promise<void>;
  private readonly onlineReport: Report;
  /** Models downloaded from the core, kept until the plugin stops. */
  private readonly modelCache = new ModelCache();
  /** Set once a shutdown on a connected stream let the jobs end. */
  private drained = false;

  constructor(private readonly options: RunPluginOptions) {
    checkOptions(options);
    const { report } = options;
    this.logger = (options.logger ?? pino({ level: "silent" })).child({ plugin: report.id });
    this.reconnect = { ...defaultReconnect, ...options.reconnect };
    this.onlineReport = {
      $case: "onlineReport",
      value: {
        id: report.id,
        name: report.name,
        type: report.type,
        description: report.description ?? "",
        parameters: report.parameters ?? {},
        neededColumns: (report.neededColumns ?? []).map(toProtoColumnDefinition),
        prescribes: options.onPrescription !== undefined,
      },
    };
    const channelOptions: ChannelOptions = {
      // The channel's own reconnect backoff must not outlast ours (grpc-js defaults to 120 s).
      "grpc.initial_reconnect_backoff_ms": Math.max(1, this.reconnect.initialDelayMs),
      "grpc.max_reconnect_backoff_ms": Math.max(1, this.reconnect.maxDelayMs),
      // Notice a core that vanished without closing the connection.
      "grpc.keepalive_time_ms": 60_000,
      "grpc.keepalive_timeout_ms": 20_000,
      // A 16 MiB receive window instead of 64 KiB: downloads of training sets go faster.
      "grpc-node.flow_control_window": 16 * 1024 * 1024,
    };
    const creds = options.credentials ?? grpcCredentials.createInsecure();
    const clientOptions = options.token
      ? { ...channelOptions, interceptors: [bearerInterceptor(options.token)] }
      : channelOptions;
    this.cores = addressesOf(options.address).map((address) => ({
      address,
      plugins: new PluginServiceClient(address, creds, clientOptions),
      datasets: new DatasetServiceClient(address, creds, clientOptions),
      models: new ModelServiceClient(address, creds, clientOptions),
    }));
    // Instances of a plugin start on different replicas, and move to the next one on reconnect.
    this.current = Math.floor(Math.random() * this.cores.length);
    this.outbox = new Outbox(this.reconnect, this.logger);
    this.jobs = new JobRunner({
      handler: options.onTrainingData,
      concurrency: options.concurrency ?? 1,
      submit: (kind, pluginId, message) => this.outbox.submit(kind, pluginId, message),
      download: (name, signal) =>
        downloadDataset(this.core.datasets, name, signal, this.reconnect, this.logger),
      uploadModel: (target, modelName, file, signal) =>
        uploadModel(this.core.models, target, modelName, file, {
          signal,
          reconnect: this.reconnect,
          logger: this.logger,
        }),
      logger: this.logger,
    });
    this.prescriptions =
      options.onPrescription &&
      new PrescriptionRunner({
        handler: options.onPrescription,
        concurrency: options.prescriptionConcurrency ?? 1,
        partSize: options.partSize ?? 1000,
        submit: (kind, pluginId, message, orderKey) =>
          this.outbox.submit(kind, pluginId, message, orderKey),
        download: (name, signal) =>
          downloadDataset(this.core.datasets, name, signal, this.reconnect, this.logger),
        model: (projectId, pluginId, signal) =>
          this.model(projectId, pluginId, signal).then((model) => model.read()),
        logger: this.logger,
      });
    this.stopped = whenAborted(this.stopping.signal);
  }

  async run(): Promise<void> {
    const external = this.options.signal;
    const onAbort = () => this.stopping.abort();
    external?.addEventListener("abort", onAbort, { once: true });
    if (external?.aborted) this.stopping.abort();
    let fatal: Error | undefined;
    try {
      const backoff = new Backoff(this.reconnect);
      while (!this.stopping.signal.aborted) {
        const registration = await this.session();
        if (this.stopping.signal.aborted) break;
        // A stream that stayed up for a while starts the delays over; a core that keeps
        // dropping fresh streams gets ever longer pauses, as if it refused the connection.
        if (registration.registered && registration.lastedMs >= this.reconnect.maxDelayMs) {
          backoff.reset();
        }
        const delayMs = backoff.next();
        this.current = (this.current + 1) % this.cores.length;
        this.logger.warn(
          { delayMs, address: this.core.address },
          "reconnecting to the training core",
        );
        await sleep(delayMs, this.stopping.signal);
      }
      if (!this.drained) {
        // Stopped while disconnected: nothing more can be delivered; let running jobs end.
        const jobsStopped = this.stopWork(this.shutdownTimeoutMs);
        this.outbox.close(new PluginStoppedError());
        await jobsStopped;
      }
    } catch (error) {
      fatal = error instanceof Error ? error : new Error(String(error));
      this.stopping.abort();
      await this.stopWork(0);
    } finally {
      external?.removeEventListener("abort", onAbort);
      this.outbox.close(fatal ?? new PluginStoppedError());
      for (const core of this.cores) {
        core.plugins.close();
        core.datasets.close();
        core.models.close();
      }
      await this.modelCache.clear();
    }
    if (fatal) throw fatal;
    this.logger.info("plugin stopped");
  }

  /**
   * The model stored in the core for membership `pluginId` of `projectId`, downloaded once per
   * run (resuming when cut) and kept in a temporary file until the plugin stops.
   */
  model(projectId: number, pluginId: number, signal: AbortSignal): Promise<DownloadedModel> {
    return downloadModel(this.core.models, projectId, pluginId, {
      cache: this.modelCache,
      signal,
      reconnect: this.reconnect,
      logger: this.logger,
    });
  }

  private get core(): CoreClients {
    return this.cores[this.current] as CoreClients;
  }

  private get shutdownTimeoutMs(): number {
    return this.options.shutdownTimeoutMs ?? defaultShutdownTimeoutMs;
  }

  /** One stream from connecting to its end; throws when the core refuses the registration. */
  private async session(): Promise<Registration> {
    const link = new Link(
      this.core.plugins,
      {
        onTrainingData: (data) => this.jobs.offer(data),
        onPrescriptionRequest: (request) => {
          if (this.prescriptions) this.prescriptions.offer(request);
          else this.logger.warn({ requestId: request.requestId }, "no onPrescription handler");
        },
        onOnlineInquiry: () => this.answerInquiry(link),
      },
      this.logger,
    );
    const registration = await this.register(link);
    if (!registration.registered) return registration;
    const registeredAt = Date.now();
    this.logger.info("registered with the training core");
    this.outbox.attach(link);
    const end = await Promise.race([link.ended, this.stopped.then(() => undefined)]);
    if (end) {
      this.logger.warn({ code: codeName(end.code), details: end.details }, "stream ended");
    } else {
      await this.shutDown(link);
    }
    this.outbox.detach(link);
    return { registered: true, lastedMs: Date.now() - registeredAt };
  }

  private async register(link: Link): Promise<Registration> {
    const acked = new Promise<Answer>((resolve) => {
      link.send(this.onlineReport, (ack) =>
        resolve({ kind: "ack", code: ack.code, details: ack.message }),
      );
    });
    const answer = await Promise.race<Answer>([
      acked,
      link.ended.then((end) => ({ kind: "end", ...end })),
      this.stopped.then(() => ({ kind: "stop" })),
    ]);
    if (answer.kind === "ack" && answer.code === status.OK)
      return { registered: true, lastedMs: 0 };
    link.cancel();
    const end = answer.kind === "stop" ? await link.ended : answer;
    if (answer.kind !== "stop" && fatalCodes.has(answer.code)) {
      throw new PluginRegistrationError(answer.code, answer.details, this.options.report.id);
    }
    if (answer.kind !== "stop") {
      this.logger.warn(
        { code: codeName(end.code), details: end.details },
        "could not register with the training core",
      );
    }
    return { registered: false, end: { code: end.code, details: end.details } };
  }

  private answerInquiry(link: Link): void {
    link.send(this.onlineReport, (ack) => {
      if (ack.code !== status.OK) {
        this.logger.warn({ code: codeName(ack.code), reason: ack.message }, "OnlineReport refused");
      }
    });
  }

  /** Stops jobs and prescription requests, waiting for them at most `timeoutMs`. */
  private async stopWork(timeoutMs: number): Promise<void> {
    await Promise.all([this.jobs.stop(timeoutMs), this.prescriptions?.stop(timeoutMs)]);
  }

  /** Lets jobs end, waits briefly for outstanding acks, then half-closes the stream. */
  private async shutDown(link: Link): Promise<void> {
    const deadline = Date.now() + this.shutdownTimeoutMs;
    this.logger.info("stopping: waiting for running jobs and outstanding acks");
    await this.stopWork(this.shutdownTimeoutMs);
    this.drained = true;
    await settlesWithin(Promise.race([this.outbox.idle(), link.ended]), deadline - Date.now());
    link.halfClose();
    if (!(await settlesWithin(link.ended, halfCloseTimeoutMs))) link.cancel();
  }
}
