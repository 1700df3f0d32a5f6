/**
 * Load generator, forked by the benchmarks (never run by hand): plugin streams and consumer
 * calls against a core, controlled over the IPC channel. One process per fork, so its CPU is
 * not the core's.
 */
import { credentials } from "@grpc/grpc-js";
import {
  PluginServiceClient,
  type TrainingData,
} from "../../src/gen/trainingcore/v1/plugin_service.js";
import {
  type CreateProjectRequest,
  ProjectServiceClient,
  type WatchProjectResponse,
} from "../../src/gen/trainingcore/v1/project_service.js";
import { createProjectRequest } from "../../test/helpers/projects.js";
import { BenchPlugin, newCounters, type PluginCounters } from "./bench-plugin.js";
import { wallMs } from "./report.js";

type Command =
  | { type: "lifecycle"; address: string; keys: string[]; addresses?: string[] }
  | { type: "idle"; address: string; key: string; streams: number; perConnection: number }
  | { type: "latency"; address: string; key: string; iterations: number; pauseMs: number }
  | { type: "latency-plugin"; address: string; key: string }
  | { type: "latency-consumer"; address: string; key: string; iterations: number; pauseMs: number }
  | { type: "arrived"; projectId: number; at: number }
  | { type: "create-loop"; address: string; key: string; durationMs: number; gapMs: number }
  | { type: "counters" }
  | { type: "stop" };

const counters: PluginCounters = newCounters();
const plugins: BenchPlugin[] = [];
const clients: { close(): void }[] = [];
let progressTimer: NodeJS.Timeout | undefined;

function reply(message: Record<string, unknown>): void {
  process.send?.(message);
}

/** `addresses`: several replicas; stream i connects to addresses[i % n]. */
async function lifecycle(address: string, keys: string[], addresses = [address]): Promise<void> {
  const startedAt = wallMs();
  for (const [i, key] of keys.entries()) {
    const to = addresses[i % addresses.length] as string;
    plugins.push(new BenchPlugin({ address: to, key, counters, instant: true }));
  }
  reply({ type: "started", at: startedAt });
  progressTimer = setInterval(() => reply({ type: "progress", counters }), 100);
  await Promise.all(plugins.map((p) => p.registered));
  reply({ type: "registered", at: wallMs() });
}

async function idle(address: string, key: string, streams: number, perConnection: number) {
  const started = performance.now();
  let client: PluginServiceClient | undefined;
  for (let i = 0; i < streams; i++) {
    if (perConnection > 1 && i % perConnection === 0) {
      client = new PluginServiceClient(address, credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
      });
      clients.push(client);
    }
    const plugin = new BenchPlugin({
      address,
      key,
      counters,
      instant: false,
      ...(perConnection > 1 && { client }),
    });
    plugins.push(plugin);
    // Register in waves, as a fleet starting up would, not all in one burst.
    if (i % 100 === 99) await Promise.all(plugins.slice(-100).map((p) => p.registered));
  }
  await Promise.all(plugins.map((p) => p.registered));
  reply({ type: "registered", count: plugins.length, ms: performance.now() - started });
}

function createProject(
  projects: ProjectServiceClient,
  request: CreateProjectRequest,
): Promise<{ id: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    projects.createProject(request, (error, response) => {
      const ms = performance.now() - started;
      if (error || !response.project) reject(error ?? new Error("no project"));
      else resolve({ id: response.project.id, ms });
    });
  });
}

/** The time (epoch ms) of the project's first plugin event in WAITING: preprocessing's end. */
function waitingTime(projects: ProjectServiceClient, projectId: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const call = projects.watchProject({ projectId, afterEventId: 0 });
    call.on("data", (response: WatchProjectResponse) => {
      const event = response.event;
      if (event && event.pluginId !== 0 && event.time) {
        resolve(event.time.getTime());
        call.cancel();
      }
    });
    call.on("error", (error: { code?: number }) => {
      if (error.code !== 1) reject(error);
    });
  });
}

/** First TrainingData arrival time per project, awaitable. */
class Arrivals {
  private readonly at = new Map<number, number>();
  private wake: (() => void) | undefined;

  record(projectId: number, at: number): void {
    if (!this.at.has(projectId)) this.at.set(projectId, at);
    this.wake?.();
  }

  async of(projectId: number): Promise<number> {
    while (!this.at.has(projectId)) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    const at = this.at.get(projectId) as number;
    this.at.delete(projectId);
    return at;
  }
}

/**
 * The `latency` measurement: CreateProject one at a time, each followed by the wait for its
 * TrainingData; the WAITING time is read once the TrainingData arrived, so the core does the
 * same work in the same order whether the plugin runs here or in another process.
 */
async function measureLatency(
  address: string,
  key: string,
  iterations: number,
  pauseMs: number,
  arrivals: Arrivals,
): Promise<void> {
  const projects = new ProjectServiceClient(address, credentials.createInsecure());
  const request = createProjectRequest({ pluginKeys: [key] });
  const create: number[] = [];
  const dispatch: number[] = [];
  const warmup = Math.min(50, Math.floor(iterations / 5));
  for (let i = 0; i < warmup + iterations; i++) {
    const { id, ms } = await createProject(projects, request);
    const at = await arrivals.of(id);
    const waitingAt = await waitingTime(projects, id);
    if (i >= warmup) {
      create.push(ms);
      dispatch.push(at - waitingAt);
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  projects.close();
  reply({ type: "latency-result", create, dispatch });
}

/** `latency`: the plugin and the consumer in this one process. */
async function latency(address: string, key: string, iterations: number, pauseMs: number) {
  const arrivals = new Arrivals();
  const plugin = new BenchPlugin({
    address,
    key,
    counters,
    instant: true,
    onTrainingData: (td: TrainingData, at: number) => arrivals.record(td.projectId, at),
  });
  plugins.push(plugin);
  await plugin.registered;
  await measureLatency(address, key, iterations, pauseMs, arrivals);
}

/**
 * `latency --split`, the plugin half: one instant plugin in this process alone; every first
 * TrainingData of a project is reported (with the time it arrived, this process's clock) to
 * the parent, which relays it to the consumer process.
 */
async function latencyPlugin(address: string, key: string) {
  const seen = new Set<number>();
  const plugin = new BenchPlugin({
    address,
    key,
    counters,
    instant: true,
    onTrainingData: (td: TrainingData, at: number) => {
      if (seen.has(td.projectId)) return;
      seen.add(td.projectId);
      reply({ type: "training-data", projectId: td.projectId, at });
    },
  });
  plugins.push(plugin);
  await plugin.registered;
  reply({ type: "registered" });
}

/** Arrivals relayed by the parent (`arrived` commands), for the consumer half. */
const relayedArrivals = new Arrivals();

async function createLoop(address: string, key: string, durationMs: number, gapMs: number) {
  const projects = new ProjectServiceClient(address, credentials.createInsecure());
  const request = createProjectRequest({ pluginKeys: [key] });
  const samples: { at: number; ms: number }[] = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    const at = wallMs();
    const { ms } = await createProject(projects, request);
    samples.push({ at, ms });
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  projects.close();
  reply({ type: "create-result", samples });
}

process.on("message", (command: Command) => {
  const run = async () => {
    switch (command.type) {
      case "lifecycle":
        return lifecycle(command.address, command.keys, command.addresses);
      case "idle":
        return idle(command.address, command.key, command.streams, command.perConnection);
      case "latency":
        return latency(command.address, command.key, command.iterations, command.pauseMs);
      case "latency-plugin":
        return latencyPlugin(command.address, command.key);
      case "latency-consumer":
        return measureLatency(
          command.address,
          command.key,
          command.iterations,
          command.pauseMs,
          relayedArrivals,
        );
      case "arrived":
        relayedArrivals.record(command.projectId, command.at);
        return;
      case "create-loop":
        return createLoop(command.address, command.key, command.durationMs, command.gapMs);
      case "counters":
        return reply({ type: "counters", counters });
      case "stop":
        clearInterval(progressTimer);
        for (const plugin of plugins) plugin.close();
        for (const client of clients) client.close();
        reply({ type: "stopped", counters });
        setTimeout(() => process.exit(0), 200);
        return;
    }
  };
  run().catch((error: unknown) => {
    console.error(error);
    reply({ type: "failed", error: String(error) });
    process.exit(1);
  });
});
process.on("disconnect", () => process.exit(0));
