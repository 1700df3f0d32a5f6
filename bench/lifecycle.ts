/**
 * `lifecycle`: P plugin streams (8 and 64, in client processes of their own) that answer
 * instantly take N projects × 8 plugin keys from WAITING to TRAINED; memberships completed and
 * reports acked per second, against the bare grpc-js echo ceiling measured in the same run.
 *
 * The N projects are created and preprocessed first, while no plugin is connected; the clock
 * runs from the first stream opening to the last ModelName acked, so the figure is the
 * dispatch + report path (TrainingData out, three reports in, three acks out per membership).
 * A short pilot run before sizes N so the measured run takes about 10 s, and warms the core up.
 */
import { credentials } from "@grpc/grpc-js";
import { ProjectServiceClient } from "../src/gen/trainingcore/v1/project_service.js";
import { createProjectRequest } from "../test/helpers/projects.js";
import { type EchoResult, echoRows, knexRows, runEchoBenchmarks } from "./echo.js";
import { type BenchArgs, type Dialect, parseBenchArgs } from "./lib/args.js";
import { BenchPlugin, newCounters, type PluginCounters } from "./lib/bench-plugin.js";
import { openDatabases } from "./lib/databases.js";
import {
  type CoreChild,
  cpuSecondsOf,
  forkWorker,
  metricValue,
  startCoreChild,
} from "./lib/processes.js";
import { describeMachine, machine, printTable, writeResults } from "./lib/report.js";

const keyCount = 8;
const keys = Array.from({ length: keyCount }, (_, i) => `bench-k${i}`);
const targets: Record<Dialect, number> = { sqlite: 0.5, postgres: 0.3 };

export interface LifecycleResult {
  readonly dialect: Dialect;
  readonly streams: number;
  readonly clientProcesses: number;
  readonly projects: number;
  readonly memberships: number;
  readonly seconds: number;
  readonly membershipsPerSecond: number;
  readonly ackedReportsPerSecond: number;
  readonly refused: number;
  /** Core CPU seconds per 1,000 acked reports. */
  readonly coreCpuMsPerReport: number;
  /** The plugin processes' CPU per acked report (ms). */
  readonly clientCpuMsPerReport: number;
  /** The PostgreSQL server's CPU per acked report (ms), when it runs here (`--pg auto`). */
  readonly databaseCpuMsPerReport: number | undefined;
  readonly meanBatchSize: number;
  readonly meanTransactionMs: number;
  readonly meanAckLatencyMs: number;
}

async function createProjects(core: CoreChild, count: number): Promise<number> {
  const client = new ProjectServiceClient(core.address, credentials.createInsecure());
  const request = createProjectRequest({ pluginKeys: keys });
  let created = 0;
  let lastId = 0;
  const worker = async () => {
    while (created < count) {
      created++;
      const id = await new Promise<number>((resolve, reject) =>
        client.createProject(request, (error, response) =>
          error ? reject(error) : resolve(response.project?.id ?? 0),
        ),
      );
      lastId = Math.max(lastId, id);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  // Preprocessing runs in arrival order: once the last project has its plugins, all have.
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
    const plugins = await new Promise<number>((resolve, reject) =>
      client.getProject({ projectId: lastId }, (error, response) =>
        error ? reject(error) : resolve(response.project?.plugins.length ?? 0),
      ),
    );
    if (plugins === keyCount) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  client.close();
  return lastId;
}

/** Makes the keys known to the core (CreateProject accepts only keys it has seen). */
async function registerKeys(core: CoreChild): Promise<void> {
  const counters = newCounters();
  const plugins = keys.map(
    (key) => new BenchPlugin({ address: core.address, key, counters, instant: false }),
  );
  await Promise.all(plugins.map((p) => p.registered));
  for (const plugin of plugins) plugin.close();
}

type Progress = { type: string; counters?: PluginCounters; at?: number };

/** Runs `streams` instant plugins in client processes until `memberships` are TRAINED. */
async function drive(
  core: CoreChild,
  databaseCpuSeconds: () => number | undefined,
  streams: number,
  memberships: number,
  timeoutMs: number,
) {
  const processes = Math.max(1, Math.ceil(streams / 32));
  const workers = Array.from({ length: processes }, () => forkWorker<Progress>("plugin-worker.ts"));
  const latest: PluginCounters[] = workers.map(() => newCounters());
  try {
    const cpuBefore = core.cpuSeconds();
    const metricsBefore = await core.scrape();
    workers.forEach((worker, w) => {
      const mine = Array.from({ length: streams }, (_, s) => s).filter((s) => s % processes === w);
      worker.send({
        type: "lifecycle",
        address: core.address,
        keys: mine.map((s) => keys[s % keyCount]),
      });
      worker.child.on("message", (message: Progress) => {
        if (message.type === "progress" && message.counters) latest[w] = message.counters;
      });
    });
    const starts = await Promise.all(workers.map((w) => w.next<Progress>("started")));
    const clientCpu = () => workers.reduce((sum, w) => sum + cpuSecondsOf(w.child.pid ?? 0), 0);
    const clientCpuBefore = clientCpu();
    const databaseCpuBefore = databaseCpuSeconds();
    const startedAt = Math.min(...starts.map((s) => s.at as number));
    const deadline = Date.now() + timeoutMs;
    while (latest.reduce((sum, c) => sum + c.trained, 0) < memberships) {
      if (Date.now() > deadline) {
        throw new Error(
          `only ${latest.reduce((sum, c) => sum + c.trained, 0)} of ${memberships} trained`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const endedAt = Math.max(...latest.map((c) => c.lastTrainedAt));
    const cpu = core.cpuSeconds() - cpuBefore;
    const clientCpuSeconds = clientCpu() - clientCpuBefore;
    const databaseCpuAfter = databaseCpuSeconds();
    const metricsAfter = await core.scrape();
    const delta = (name: string, labels: Record<string, string> = {}) =>
      metricValue(metricsAfter, name, labels) - metricValue(metricsBefore, name, labels);
    const seconds = (endedAt - startedAt) / 1000;
    const acked = latest.reduce((sum, c) => sum + c.acked, 0);
    const transactions = delta("training_core_group_commit_batch_size_count");
    return {
      seconds,
      processes,
      acked,
      refused: latest.reduce((sum, c) => sum + c.refused, 0),
      coreCpuMsPerReport: (cpu * 1000) / acked,
      clientCpuMsPerReport: (clientCpuSeconds * 1000) / acked,
      databaseCpuMsPerReport:
        databaseCpuBefore === undefined || databaseCpuAfter === undefined
          ? undefined
          : ((databaseCpuAfter - databaseCpuBefore) * 1000) / acked,
      meanBatchSize: delta("training_core_group_commit_batch_size_sum") / transactions,
      meanTransactionMs:
        (delta("training_core_group_commit_transaction_seconds_sum") * 1000) / transactions,
      meanAckLatencyMs:
        (delta("training_core_plugin_ack_latency_seconds_sum") * 1000) /
        delta("training_core_plugin_ack_latency_seconds_count"),
    };
  } finally {
    for (const worker of workers) {
      worker.send({ type: "stop" });
      setTimeout(() => worker.kill(), 1000).unref();
    }
  }
}

async function lifecycleRun(
  args: BenchArgs,
  dialect: Dialect,
  url: string,
  streams: number,
  databaseCpuSeconds: () => number | undefined,
): Promise<LifecycleResult> {
  const core = await startCoreChild({ databaseUrl: url, profileDir: args.profileDir });
  try {
    await registerKeys(core);
    // Pilot: warms the core up and sizes the measured run to about 10 s.
    const pilotProjects = 40;
    await createProjects(core, pilotProjects);
    const pilot = await drive(core, databaseCpuSeconds, streams, pilotProjects * keyCount, 60_000);
    const rate = (pilotProjects * keyCount) / pilot.seconds;
    const targetSeconds = 10 * args.scale;
    const projects = Math.max(50, Math.min(6000, Math.round((rate * targetSeconds) / keyCount)));
    await createProjects(core, projects);
    const memberships = projects * keyCount;
    const run = await drive(core, databaseCpuSeconds, streams, memberships, 120_000);
    return {
      dialect,
      streams,
      clientProcesses: run.processes,
      projects,
      memberships,
      seconds: run.seconds,
      membershipsPerSecond: memberships / run.seconds,
      ackedReportsPerSecond: run.acked / run.seconds,
      refused: run.refused,
      coreCpuMsPerReport: run.coreCpuMsPerReport,
      clientCpuMsPerReport: run.clientCpuMsPerReport,
      databaseCpuMsPerReport: run.databaseCpuMsPerReport,
      meanBatchSize: run.meanBatchSize,
      meanTransactionMs: run.meanTransactionMs,
      meanAckLatencyMs: run.meanAckLatencyMs,
    };
  } finally {
    await core.stop();
  }
}

/** `npm run bench -- lifecycle [--pg URL|auto] [--only-pg] [--quick] [--streams 8,64]` */
export async function run(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  const streamCounts =
    typeof args.values.streams === "string" ? args.values.streams.split(",").map(Number) : [8, 64];
  console.log(describeMachine(machine()));
  const databases = await openDatabases(args);
  const results: LifecycleResult[] = [];
  try {
    for (const dialect of args.dialects) {
      for (const streams of streamCounts) {
        const database = await databases.create(dialect);
        try {
          const databaseCpu = () => (dialect === "postgres" ? databases.serverCpuSeconds() : 0);
          const result = await lifecycleRun(args, dialect, database.url, streams, databaseCpu);
          results.push(result);
          console.log(
            `${dialect} P=${streams}: ${result.membershipsPerSecond.toFixed(0)} memberships/s, ${result.ackedReportsPerSecond.toFixed(0)} acked reports/s`,
          );
        } finally {
          await database.drop();
        }
      }
    }
  } finally {
    await databases.close();
  }
  const ceiling = await runEchoBenchmarks(args);
  const echoBest = Math.max(...ceiling.echo.map((e) => e.messagesPerSecond));
  const echoUsed = ceiling.echo.find((e) => e.messagesPerSecond === echoBest) as EchoResult;
  const rows = results.map((r) => ({
    database: r.dialect,
    streams: r.streams,
    projects: r.projects,
    memberships: r.memberships,
    seconds: r.seconds,
    "memberships/s": r.membershipsPerSecond,
    "acked reports/s": r.ackedReportsPerSecond,
    "ratio to echo": r.ackedReportsPerSecond / echoBest,
    target: `≥ ${targets[r.dialect]}`,
    "core CPU ms/report": r.coreCpuMsPerReport,
    "mean batch": r.meanBatchSize,
    "mean tx ms": r.meanTransactionMs,
    "mean ack ms": r.meanAckLatencyMs,
  }));
  printTable("lifecycle: WAITING → TRAINED with instant plugins", rows);
  printTable("bare grpc-js bidi echo (the ceiling; ratio uses the higher)", echoRows(ceiling.echo));
  printTable(
    "CPU per acked report against the echo's CPU per message (both runs share this machine's CPUs)",
    cpuRows(results, echoUsed),
  );
  printTable("knex cost per statement", knexRows(ceiling.knex));
  writeResults("lifecycle", {
    postgres: ceiling.postgres,
    lifecycle: results,
    echo: ceiling.echo,
    echoCeiling: echoBest,
    knex: ceiling.knex,
    ratios: rows.map((r) => ({
      database: r.database,
      streams: r.streams,
      ratio: r["ratio to echo"],
    })),
  });
}

/**
 * Where the CPU of a report goes, against the echo's per message. When every process of both
 * runs is busy (the machine's CPUs are the limit), the ratio to echo is at most the echo's
 * total CPU per message over ours per report; the target ratio leaves the core the CPU budget
 * shown.
 */
function cpuRows(results: readonly LifecycleResult[], echo: EchoResult) {
  const echoTotal = echo.serverCpuMsPerMessage + echo.clientCpuMsPerMessage;
  return results.map((r) => {
    const others = r.clientCpuMsPerReport + (r.databaseCpuMsPerReport ?? 0);
    const total = r.coreCpuMsPerReport + others;
    return {
      database: r.dialect,
      streams: r.streams,
      "core ms": r.coreCpuMsPerReport,
      "plugins ms": r.clientCpuMsPerReport,
      "PostgreSQL ms": r.dialect === "postgres" ? (r.databaseCpuMsPerReport ?? "not here") : "-",
      "total ms": total,
      "CPUs busy": (total * r.ackedReportsPerSecond) / 1000,
      "echo server + client ms/msg": echoTotal,
      "CPU-bound ratio": echoTotal / total,
      target: targets[r.dialect],
      "core ms the target allows": echoTotal / targets[r.dialect] - others,
    };
  });
}
