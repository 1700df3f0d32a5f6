/**
 * `idle-streams`: the core's resident memory while it holds 1,000 and 10,000 registered, idle
 * plugin streams (clients in 10 processes, one connection per stream as real plugins have, and
 * a multiplexed variant: 100 streams per connection), as KB per stream, each against a bare
 * grpc-js server (same server options, same clients, its own process) holding as many streams
 * the same way in the same run; then whether a round of OnlineInquiry to all of them
 * (CORE_ONLINE_INQUIRY_INTERVAL_MS set low) stalls a concurrent CreateProject: its latency with
 * idle streams and no rounds, against during rounds.
 */

import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { grpcServerOptions } from "../src/transport/server.js";
import { parseBenchArgs } from "./lib/args.js";
import { openDatabases } from "./lib/databases.js";
import {
  type CoreChild,
  forkWorker,
  metricValue,
  startCoreChild,
  type Worker,
} from "./lib/processes.js";
import { describeMachine, machine, printTable, summary, writeResults } from "./lib/report.js";

const targetKbPerStream = 35;
const clientProcesses = 10;
const key = "bench-idle";

type Message = { type: string; [field: string]: unknown };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The core's default CORE_MAX_DATASET_BYTES: only sets the message size limit. */
const defaultMaxDatasetBytes = 64 * 1024 * 1024;

/** A server holding streams: the core, or the bare grpc-js baseline. */
interface Holder {
  readonly address: string;
  rssKb(): number;
}

/** RSS after the server settled: the lowest of a few samples a little apart. */
async function settledRssKb(server: Holder): Promise<number> {
  await sleep(1500);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(server.rssKb());
    await sleep(200);
  }
  return Math.min(...samples);
}

async function openStreams(core: Holder, total: number, perConnection: number) {
  const per = Math.ceil(total / clientProcesses);
  const workers: Worker<Message>[] = [];
  const started = performance.now();
  for (let i = 0; i < clientProcesses; i++) {
    const worker = forkWorker<Message>("plugin-worker.ts");
    workers.push(worker);
    worker.send({ type: "idle", address: core.address, key, streams: per, perConnection });
  }
  await Promise.all(workers.map((w) => w.next("registered", 120_000)));
  return { workers, seconds: (performance.now() - started) / 1000 };
}

function stopAll(workers: readonly Worker<Message>[]): void {
  for (const worker of workers) {
    worker.send({ type: "stop" });
    setTimeout(() => worker.kill(), 2000).unref();
  }
}

async function createLoop(core: CoreChild, durationMs: number): Promise<number[]> {
  const worker = forkWorker<Message>("plugin-worker.ts");
  try {
    worker.send({ type: "create-loop", address: core.address, key, durationMs, gapMs: 20 });
    const result = await worker.next("create-result", durationMs + 60_000);
    return (result.samples as { ms: number }[]).map((s) => s.ms);
  } finally {
    worker.kill();
  }
}

interface MemoryResult {
  streams: number;
  perConnection: number;
  /** Seconds to open and register the streams added at this step. */
  connectSeconds: number;
  baselineMb: number;
  loadedMb: number;
  /** (RSS now − RSS with no stream) / streams. */
  kbPerStream: number;
  /** (RSS now − RSS at the previous step) / streams added since: without one-time growth. */
  marginalKbPerStream: number | undefined;
  /** V8 heap in use, whole process, MB (with the streams open). */
  heapUsedMb: number;
  /** Memory outside the V8 heap that V8 is told of (Buffers, ArrayBuffers), MB. */
  externalMb: number;
  /** 1-minute load average when measured. */
  load: number;
}

/** Stream counts measured one after the other in the same server process. */
const steps = [1000, 10_000];

/**
 * Opens streams on `server` up to each count of `steps` (kept open: the next step adds to
 * them) and measures what they add to its settled RSS: from no stream, and from the previous
 * step. The second excludes what grows once and not per stream (V8's young generation and
 * code, the first database pages, …), which weighs heavily on the first thousand.
 */
async function holdStreams(
  server: Holder,
  perConnection: number,
  openCount: () => Promise<number>,
  heap: () => Promise<{ heapUsedMb: number; externalMb: number }>,
): Promise<{ results: MemoryResult[]; workers: Worker<Message>[] }> {
  // A first few streams make the key known and warm the paths up; then the baseline.
  const warm = await openStreams(server, clientProcesses, 1);
  stopAll(warm.workers);
  const baselineKb = await settledRssKb(server);
  const workers: Worker<Message>[] = [];
  const results: MemoryResult[] = [];
  let previous = { streams: 0, kb: baselineKb };
  for (const target of steps) {
    const opened = await openStreams(server, target - previous.streams, perConnection);
    workers.push(...opened.workers);
    const loadedKb = await settledRssKb(server);
    const open = await openCount();
    results.push({
      streams: open,
      perConnection,
      connectSeconds: opened.seconds,
      baselineMb: baselineKb / 1024,
      loadedMb: loadedKb / 1024,
      kbPerStream: (loadedKb - baselineKb) / open,
      marginalKbPerStream:
        previous.streams > 0 ? (loadedKb - previous.kb) / (open - previous.streams) : undefined,
      ...(await heap()),
      load: loadavg()[0] ?? Number.NaN,
    });
    previous = { streams: open, kb: loadedKb };
  }
  return { workers, results };
}

async function memory(databaseUrl: string, perConnection: number): Promise<MemoryResult[]> {
  const core = await startCoreChild({ databaseUrl });
  let workers: Worker<Message>[] = [];
  try {
    const held = await holdStreams(
      core,
      perConnection,
      async () =>
        metricValue(await core.scrape(), "training_core_plugin_streams_open", { plugin_key: key }),
      async () => {
        const metrics = await core.scrape();
        return {
          heapUsedMb: metricValue(metrics, "nodejs_heap_size_used_bytes") / 2 ** 20,
          externalMb: metricValue(metrics, "nodejs_external_memory_bytes") / 2 ** 20,
        };
      },
    );
    workers = held.workers;
    return held.results;
  } finally {
    stopAll(workers);
    await core.stop();
  }
}

type ServerMessage = Message & {
  port?: number;
  open?: number;
  heapUsed?: number;
  external?: number;
};

/** The same measure on a bare grpc-js server (`idle-streams-server.ts`) with the core's options. */
async function bareMemory(perConnection: number): Promise<MemoryResult[]> {
  const server = forkWorker<ServerMessage>("../idle-streams-server.ts");
  let workers: Worker<Message>[] = [];
  try {
    server.send({ type: "serve", options: grpcServerOptions(defaultMaxDatasetBytes) });
    const { port } = await server.next("listening");
    const pid = server.child.pid as number;
    const report = async () => {
      server.send({ type: "memory" });
      return server.next("memory");
    };
    const held = await holdStreams(
      {
        address: `127.0.0.1:${port}`,
        rssKb: () =>
          Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]),
      },
      perConnection,
      async () => (await report()).open ?? Number.NaN,
      async () => {
        const m = await report();
        return {
          heapUsedMb: (m.heapUsed ?? Number.NaN) / 2 ** 20,
          externalMb: (m.external ?? Number.NaN) / 2 ** 20,
        };
      },
    );
    workers = held.workers;
    return held.results;
  } finally {
    stopAll(workers);
    server.kill();
  }
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? "" : a / b;

function memoryRow(database: string, server: string, m: MemoryResult, bare?: MemoryResult) {
  return {
    database,
    server,
    streams: m.streams,
    "streams/connection": m.perConnection,
    "connect s": m.connectSeconds,
    "RSS before MB": m.baselineMb,
    "RSS after MB": m.loadedMb,
    "KB/stream": m.kbPerStream,
    "× bare": bare ? ratio(m.kbPerStream, bare.kbPerStream) : "",
    "KB/stream since previous": m.marginalKbPerStream ?? "",
    "since previous × bare": bare ? ratio(m.marginalKbPerStream, bare.marginalKbPerStream) : "",
    target: `< ${targetKbPerStream}`,
    "heap used MB": m.heapUsedMb,
    "external MB": m.externalMb,
    load: m.load,
  };
}

async function inquiryStall(
  databaseUrl: string,
  streams: number,
  intervalMs: number,
  ms: number,
  profileDir?: string,
) {
  const core = await startCoreChild({
    databaseUrl,
    env: { CORE_ONLINE_INQUIRY_INTERVAL_MS: String(intervalMs) },
    profileDir,
  });
  let workers: Worker<Message>[] = [];
  try {
    const warm = await openStreams(core, clientProcesses, 1);
    stopAll(warm.workers);
    const quiet = await createLoop(core, Math.min(ms, 3000));
    const opened = await openStreams(core, streams, 1);
    workers = opened.workers;
    const cpuBefore = core.cpuSeconds();
    const before = await core.scrape();
    const during = await createLoop(core, ms);
    const after = await core.scrape();
    const inquiries =
      metricValue(after, "training_core_plugin_messages_sent_total", { kind: "online_inquiry" }) -
      metricValue(before, "training_core_plugin_messages_sent_total", { kind: "online_inquiry" });
    return {
      streams,
      intervalMs,
      registerSeconds: opened.seconds,
      quiet: summary(quiet),
      during: summary(during),
      inquiriesSent: inquiries,
      // prom-client resets the event-loop delay histogram at each scrape: this is the loop.
      eventLoopLagMaxMs: metricValue(after, "nodejs_eventloop_lag_max_seconds") * 1000,
      eventLoopLagP99Ms: metricValue(after, "nodejs_eventloop_lag_p99_seconds") * 1000,
      coreCpuShare: (core.cpuSeconds() - cpuBefore) / (ms / 1000),
    };
  } finally {
    stopAll(workers);
    await core.stop();
  }
}

/** `npm run bench -- idle-streams [--pg URL|auto] [--quick]` */
export async function run(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  console.log(describeMachine(machine()));
  const databases = await openDatabases(args);
  const memoryRows: Record<string, unknown>[] = [];
  const stallRows: Record<string, unknown>[] = [];
  const results: Record<string, unknown>[] = [];
  const phase = args.values.phase;
  const bare = new Map<number, MemoryResult[]>();
  try {
    for (const dialect of args.dialects) {
      for (const perConnection of phase === "inquiry" ? [] : [1, 100]) {
        // The bare grpc-js baseline, once per shape, just before the core's first run of it.
        let baseline = bare.get(perConnection);
        if (!baseline) {
          baseline = await bareMemory(perConnection);
          bare.set(perConnection, baseline);
          for (const b of baseline) {
            console.log(
              `bare grpc-js: ${b.streams} streams (${perConnection}/connection): ${b.kbPerStream.toFixed(1)} KB/stream`,
            );
            results.push({ kind: "memory", server: "bare grpc-js", ...b });
            memoryRows.push(memoryRow("–", "bare grpc-js", b));
          }
        }
        const database = await databases.create(dialect);
        try {
          const measured = await memory(database.url, perConnection);
          for (const [i, m] of measured.entries()) {
            console.log(
              `${dialect}: ${m.streams} streams (${perConnection}/connection): ${m.kbPerStream.toFixed(1)} KB/stream`,
            );
            results.push({ kind: "memory", server: "core", dialect, ...m });
            memoryRows.push(memoryRow(dialect, "core", m, baseline[i]));
          }
        } finally {
          await database.drop();
        }
      }
      if (phase === "memory") continue;
      const database = await databases.create(dialect);
      try {
        const s = await inquiryStall(
          database.url,
          10_000,
          2000,
          Math.round(10_000 * args.scale),
          args.profileDir,
        );
        results.push({ kind: "inquiry", dialect, ...s });
        for (const [phase, lat] of [
          ["no streams, no rounds", s.quiet],
          [`${s.streams} streams, a round every ${s.intervalMs} ms`, s.during],
        ] as const) {
          stallRows.push({
            database: dialect,
            phase,
            n: lat.n,
            "p50 ms": lat.p50,
            "p99 ms": lat.p99,
            "max ms": lat.max,
          });
        }
        console.log(
          `${dialect}: ${s.streams} streams registered in ${s.registerSeconds.toFixed(1)} s; ${s.inquiriesSent} inquiries sent during the CreateProject loop; core CPU ${(100 * s.coreCpuShare).toFixed(0)}% of one CPU; event loop delay p99 ${s.eventLoopLagP99Ms.toFixed(0)} ms, max ${s.eventLoopLagMaxMs.toFixed(0)} ms`,
        );
      } finally {
        await database.drop();
      }
    }
  } finally {
    await databases.close();
  }
  printTable("core memory with idle registered plugin streams", memoryRows);
  printTable("CreateProject latency while inquiry rounds run", stallRows);
  writeResults("idle-streams", { postgres: databases.postgres, results });
}
