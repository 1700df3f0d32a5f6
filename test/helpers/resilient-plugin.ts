/**
 * A plugin that survives its core: it keeps a Connect stream open, and whenever the stream ends
 * or the core cannot be reached it reconnects with backoff, registers again and re-sends, in
 * order, every report that was not acked with code 0 — the at-least-once behaviour the protocol
 * asks of plugins (proto/trainingcore/v1/plugin_service.proto).
 *
 * Every TrainingData whose plugin_id it has not taken on yet is "trained": DataReport(applicable)
 * → TrainingStart → ModelName, with short random delays in between (the simulation's randomness,
 * from a seeded generator). Every report acked 0 is recorded, so a test can check that none of
 * them is missing from the store afterwards; every refusal (non-zero code other than 14) too.
 */
import {
  type ChannelOptions,
  type ClientDuplexStream,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import type {
  ConnectRequest,
  ConnectResponse,
  TrainingData,
} from "../../src/gen/trainingcore/v1/plugin_service.js";
import { PluginServiceClient } from "../../src/gen/trainingcore/v1/plugin_service.js";
import type { StoredState } from "./invariants.js";

/** A report as this plugin sends it. */
export type PluginReport =
  | { readonly kind: "data"; readonly projectId: number; readonly pluginId: number }
  | { readonly kind: "start"; readonly projectId: number; readonly pluginId: number }
  | {
      readonly kind: "model";
      readonly projectId: number;
      readonly pluginId: number;
      readonly modelName: string;
    };

export interface AckedReport {
  readonly key: string;
  readonly report: PluginReport;
  /** How many times it was sent before the ack 0 (1: no re-send). */
  readonly attempts: number;
}

export interface RefusedReport {
  readonly key: string;
  readonly report: PluginReport;
  readonly code: number;
  readonly message: string;
}

export interface ResilientPluginOptions {
  /** Seeded random numbers in [0, 1): delays and backoff jitter. */
  readonly random: () => number;
  /** Delay before each report of a job, in ms: [min, max). */
  readonly stepDelayMs?: readonly [number, number];
  /** Reconnect backoff in ms: first delay, largest delay. */
  readonly backoffMs?: readonly [number, number];
}

/** Channel options for clients that must find a restarted core quickly. */
export const fastReconnectOptions: ChannelOptions = {
  "grpc.initial_reconnect_backoff_ms": 50,
  "grpc.max_reconnect_backoff_ms": 250,
  "grpc.min_reconnect_backoff_ms": 50,
};

interface Outgoing {
  readonly report: PluginReport;
  attempts: number;
  acked(): void;
}

type InFlight =
  | { readonly kind: "registration" | "inquiry" }
  | { readonly kind: "report"; readonly item: Outgoing };

interface Connection {
  readonly call: ClientDuplexStream<ConnectRequest, ConnectResponse>;
  readonly inFlight: Map<number, InFlight>;
  sequence: number;
  open: boolean;
  registered: boolean;
}

export class ResilientPlugin {
  readonly acked: AckedReport[] = [];
  readonly refused: RefusedReport[] = [];
  /** plugin_ids whose ModelName was acked 0. */
  readonly finished = new Set<number>();
  /** Streams opened, and how many of them got the registration acked. */
  streams = 0;
  registrations = 0;
  trainingDataReceived = 0;

  private readonly client: PluginServiceClient;
  /** Reports not acked 0 yet, in the order they were first sent. */
  private outbox: Outgoing[] = [];
  /** plugin_ids taken on (running or finished): TrainingData for them again is ignored. */
  private readonly jobs = new Set<number>();
  private connection: Connection | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly registeredWaiters: (() => void)[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  /** Jobs started and not finished. */
  private running = 0;
  private readonly stepDelayMs: readonly [number, number];
  private readonly backoffMs: readonly [number, number];

  constructor(
    address: string,
    readonly key: string,
    private readonly options: ResilientPluginOptions,
  ) {
    this.client = new PluginServiceClient(
      address,
      credentials.createInsecure(),
      fastReconnectOptions,
    );
    this.stepDelayMs = options.stepDelayMs ?? [10, 150];
    this.backoffMs = options.backoffMs ?? [20, 400];
  }

  /** Starts the connection loop; resolves once the first registration was acked. */
  start(): Promise<void> {
    const registered = new Promise<void>((resolve) => this.registeredWaiters.push(resolve));
    this.loop ??= this.run();
    return registered;
  }

  /** Stops reconnecting and closes the stream and the channel. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.connection?.call.cancel();
    await this.loop;
    this.client.close();
  }

  /** Reports not acked 0 yet. */
  get pending(): number {
    return this.outbox.length;
  }

  /** Resolves once every job taken on so far has all its reports settled. */
  idle(): Promise<void> {
    if (this.running === 0 && this.outbox.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private notifyIfIdle(): void {
    if (this.running === 0 && this.outbox.length === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async run(): Promise<void> {
    let backoff = this.backoffMs[0];
    while (!this.stopped) {
      const registered = await this.connectOnce();
      if (this.stopped) break;
      backoff = registered ? this.backoffMs[0] : Math.min(backoff * 2, this.backoffMs[1]);
      await delay(backoff * (0.5 + this.options.random()));
    }
  }

  /** One stream, from opening to its end; resolves with whether it got registered. */
  private connectOnce(): Promise<boolean> {
    this.streams++;
    const call = this.client.connect(new Metadata());
    const connection: Connection = {
      call,
      inFlight: new Map(),
      sequence: 0,
      open: true,
      registered: false,
    };
    this.connection = connection;
    return new Promise((resolve) => {
      const end = () => {
        if (!connection.open) return;
        connection.open = false;
        if (this.connection === connection) this.connection = undefined;
        resolve(connection.registered);
      };
      call.on("status", end);
      call.on("error", (_error: ServiceError) => end());
      call.on("close", end);
      call.on("data", (response: ConnectResponse) => this.receive(connection, response));
      this.write(
        connection,
        { kind: "registration" },
        { $case: "onlineReport", value: this.identity() },
      );
      // Everything not acked yet goes again, in order, right behind the registration.
      for (const item of this.outbox) this.sendReport(connection, item);
    });
  }

  private identity() {
    return {
      id: this.key,
      name: `Resilient ${this.key}`,
      type: "next-activity",
      description: "crash-loop test plugin",
      parameters: { k: 3 },
      neededColumns: [],
      prescribes: false,
    };
  }

  private write(connection: Connection, entry: InFlight, message: ConnectRequest["message"]): void {
    if (!connection.open) return;
    const sequence = ++connection.sequence;
    connection.inFlight.set(sequence, entry);
    connection.call.write({ sequence, message });
  }

  private sendReport(connection: Connection, item: Outgoing): void {
    item.attempts++;
    const { report } = item;
    const ids = { projectId: report.projectId, pluginId: report.pluginId };
    switch (report.kind) {
      case "data":
        this.write(
          connection,
          { kind: "report", item },
          {
            $case: "dataReport",
            value: { ...ids, applicable: true },
          },
        );
        break;
      case "start":
        this.write(connection, { kind: "report", item }, { $case: "trainingStart", value: ids });
        break;
      case "model":
        this.write(
          connection,
          { kind: "report", item },
          {
            $case: "modelName",
            value: { ...ids, modelName: report.modelName },
          },
        );
        break;
    }
  }

  private receive(connection: Connection, response: ConnectResponse): void {
    const message = response.message;
    switch (message?.$case) {
      case "ack": {
        const { sequence, code } = message.value;
        const entry = connection.inFlight.get(sequence);
        connection.inFlight.delete(sequence);
        if (!entry) break;
        if (entry.kind === "registration") {
          if (code === status.OK) {
            connection.registered = true;
            this.registrations++;
            for (const resolve of this.registeredWaiters.splice(0)) resolve();
          } else {
            connection.call.cancel();
          }
        } else if (entry.kind === "report") {
          this.settle(connection, entry.item, code, message.value.message);
        }
        break;
      }
      case "trainingData":
        this.trainingDataReceived++;
        this.take(message.value);
        break;
      case "onlineInquiry":
        this.write(
          connection,
          { kind: "inquiry" },
          { $case: "onlineReport", value: this.identity() },
        );
        break;
    }
  }

  private settle(connection: Connection, item: Outgoing, code: number, why: string): void {
    if (!this.outbox.includes(item)) return; // already settled (ack from an older stream)
    if (code === status.UNAVAILABLE) {
      // The store could not be reached: start over on a new stream, which re-sends in order.
      connection.call.cancel();
      return;
    }
    this.outbox = this.outbox.filter((other) => other !== item);
    if (code === status.OK) {
      this.acked.push({ key: this.key, report: item.report, attempts: item.attempts });
    } else {
      this.refused.push({ key: this.key, report: item.report, code, message: why });
    }
    item.acked();
  }

  /** Queues a report and sends it now if a stream is open; resolves once it is settled. */
  private report(report: PluginReport): Promise<void> {
    return new Promise((resolve) => {
      const item: Outgoing = { report, attempts: 0, acked: resolve };
      this.outbox.push(item);
      if (this.connection?.open) this.sendReport(this.connection, item);
    });
  }

  private take(td: TrainingData): void {
    if (this.stopped || this.jobs.has(td.pluginId)) return;
    this.jobs.add(td.pluginId);
    this.running++;
    void this.train(td).finally(() => {
      this.running--;
      this.notifyIfIdle();
    });
  }

  private async train(td: TrainingData): Promise<void> {
    const ids = { projectId: td.projectId, pluginId: td.pluginId };
    const step = () => delay(this.randomBetween(this.stepDelayMs));
    await step();
    const reports = [this.report({ kind: "data", ...ids })];
    await step();
    reports.push(this.report({ kind: "start", ...ids }));
    await step();
    reports.push(
      this.report({ kind: "model", ...ids, modelName: `${this.key}-${td.pluginId}.model` }),
    );
    await Promise.all(reports);
    this.finished.add(td.pluginId);
  }

  private randomBetween([min, max]: readonly [number, number]): number {
    return min + Math.floor(this.options.random() * (max - min));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Every acked report the stored state does not reflect (empty: none lost). */
export function lostAckedReports(acked: readonly AckedReport[], state: StoredState): string[] {
  const byId = new Map(state.memberships.map((a) => [Number(a.id), a]));
  const reached: Record<PluginReport["kind"], readonly string[]> = {
    data: ["PREPROCESSING", "TRAINING", "TRAINED"],
    start: ["TRAINING", "TRAINED"],
    model: ["TRAINED"],
  };
  const lost: string[] = [];
  for (const { key, report } of acked) {
    const a = byId.get(report.pluginId);
    const what = `${key}: acked ${report.kind} of plugin_id ${report.pluginId} (project ${report.projectId})`;
    if (!a) {
      lost.push(`${what}: the membership is not stored`);
    } else if (!reached[report.kind].includes(a.status)) {
      lost.push(`${what}: the membership is ${a.status}`);
    } else if (report.kind === "model" && a.model_name !== report.modelName) {
      lost.push(`${what}: model_name is ${JSON.stringify(a.model_name)}`);
    }
  }
  return lost;
}

/** A small seeded generator (mulberry32): the same seed gives the same decisions. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
