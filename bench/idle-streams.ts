/**
 * `idle-streams`: the core's resident memory while it holds 1,000 and 10,000 registered, idle
 * plugin streams (clients in 10 processes, one connection per stream as real plugins have, and
 * a multiplexed variant: 100 streams per connection), as KB per stream; then whether a round
 * of OnlineInquiry to all of them (CORE_ONLINE_INQUIRY_INTERVAL_MS set low) stalls a
 * concurrent CreateProject: its latency with idle streams and no rounds, against during rounds.
 */
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

/** RSS after the core settled: the lowest of a few samples a little apart. */
async function settledRssKb(core: CoreChild): Promise<number> {
  await sleep(1500);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(core.rssKb());
    await sleep(200);
  }
  return Math.min(...samples);
}

async function openStreams(core: CoreChild, total: number, perConnection: number) {
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

async function memory(databaseUrl: string, streams: number, perConnection: number) {
  const core = await startCoreChild({ databaseUrl });
  let workers: Worker<Message>[] = [];
  try {
    // A first stream makes the key known and warms the paths up; then measure the baseline.
    const warm = await openStreams(core, clientProcesses, 1);
    stopAll(warm.workers);
    const baselineKb = await settledRssKb(core);
    const opened = await openStreams(core, streams, perConnection);
    workers = opened.workers;
    const loadedKb = await settledRssKb(core);
    const metrics = await core.scrape();
    const open = metricValue(metrics, "training_core_plugin_streams_open", { plugin_key: key });
    return {
      streams: open,
      perConnection,
      connectSeconds: opened.seconds,
      baselineMb: baselineKb / 1024,
      loadedMb: loadedKb / 1024,
      kbPerStream: (loadedKb - baselineKb) / open,
      heapUsedMb: metricValue(metrics, "nodejs_heap_size_used_bytes") / 2 ** 20,
    };
  } finally {
    stopAll(workers);
    await core.stop();
  }
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
  try {
    for (const dialect of args.dialects) {
      const runs: [number, number][] = [
        [1000, 1],
        [10_000, 1],
        [10_000, 100],
      ];
      const phase = args.values.phase;
      for (const [streams, perConnection] of phase === "inquiry" ? [] : runs) {
        const database = await databases.create(dialect);
        try {
          const m = await memory(database.url, streams, perConnection);
          console.log(
            `${dialect}: ${m.streams} streams (${perConnection}/connection): ${m.kbPerStream.toFixed(1)} KB/stream`,
          );
          results.push({ kind: "memory", dialect, ...m });
          memoryRows.push({
            database: dialect,
            streams: m.streams,
            "streams/connection": perConnection,
            "connect s": m.connectSeconds,
            "RSS before MB": m.baselineMb,
            "RSS after MB": m.loadedMb,
            "KB/stream": m.kbPerStream,
            target: `< ${targetKbPerStream}`,
            "heap used MB": m.heapUsedMb,
          });
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
