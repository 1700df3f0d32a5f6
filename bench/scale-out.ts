/**
 * `scale-out`: lifecycle throughput with 1, 2 and 3 core replicas on one PostgreSQL database.
 * Projects are created through the replicas in turn, the plugin streams (64 by default,
 * instant answers, in client processes of their own) are spread over the replicas, and the
 * clock runs from the first stream opening to the last ModelName acked, as in `lifecycle`.
 * The same number of memberships is driven at every replica count, so the rates compare.
 */
import { credentials } from "@grpc/grpc-js";
import pg from "pg";
import { ProjectServiceClient } from "../src/gen/trainingcore/v1/project_service.js";
import { createProjectRequest } from "../test/helpers/projects.js";
import { parseBenchArgs } from "./lib/args.js";
import { BenchPlugin, newCounters, type PluginCounters } from "./lib/bench-plugin.js";
import { openDatabases } from "./lib/databases.js";
import { type CoreChild, cpuSecondsOf, forkWorker, startCoreChild } from "./lib/processes.js";
import { describeMachine, machine, printTable, writeResults } from "./lib/report.js";

const keyCount = 8;
const keys = Array.from({ length: keyCount }, (_, i) => `bench-k${i}`);

interface ScaleOutResult {
  readonly replicas: number;
  readonly streams: number;
  readonly projects: number;
  readonly memberships: number;
  readonly seconds: number;
  readonly membershipsPerSecond: number;
  readonly ackedReportsPerSecond: number;
  /** CPU seconds of all replicas together, per 1,000 acked reports. */
  readonly coreCpuMsPerReport: number;
  /** The plugin processes' CPU per acked report (ms). */
  readonly clientCpuMsPerReport: number;
  /** The PostgreSQL server's CPU per acked report (ms), when it runs here (`--pg auto`). */
  readonly databaseCpuMsPerReport: number | undefined;
  /** CPU seconds of every process of the run per second: the CPUs it kept busy. */
  readonly cpusBusy: number;
}

async function createProjects(cores: readonly CoreChild[], count: number): Promise<void> {
  const clients = cores.map(
    (core) => new ProjectServiceClient(core.address, credentials.createInsecure()),
  );
  const request = createProjectRequest({ pluginKeys: keys });
  let created = 0;
  const worker = async () => {
    while (created < count) {
      const client = clients[created % clients.length] as ProjectServiceClient;
      created++;
      await new Promise<void>((resolve, reject) =>
        client.createProject(request, (error) => (error ? reject(error) : resolve())),
      );
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  for (const client of clients) client.close();
}

/** Waits until no project awaits preprocessing (every replica preprocesses its own share). */
async function preprocessed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const deadline = Date.now() + 300_000; Date.now() < deadline; ) {
      const result = await client.query<{ n: string }>(
        "SELECT count(*) AS n FROM projects WHERE preprocessed_ms IS NULL AND status = 'PREPROCESSING'",
      );
      if (Number(result.rows[0]?.n) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("preprocessing did not finish in 5 minutes");
  } finally {
    await client.end();
  }
}

type Progress = { type: string; counters?: PluginCounters; at?: number };

async function drive(
  cores: readonly CoreChild[],
  databaseCpuSeconds: () => number | undefined,
  streams: number,
  memberships: number,
) {
  const addresses = cores.map((core) => core.address);
  const processes = Math.max(1, Math.ceil(streams / 32));
  const workers = Array.from({ length: processes }, () => forkWorker<Progress>("plugin-worker.ts"));
  const latest: PluginCounters[] = workers.map(() => newCounters());
  try {
    const cpuBefore = cores.reduce((sum, core) => sum + core.cpuSeconds(), 0);
    workers.forEach((worker, w) => {
      const mine = Array.from({ length: streams }, (_, s) => s).filter((s) => s % processes === w);
      worker.send({
        type: "lifecycle",
        address: addresses[0],
        addresses: mine.map((s) => addresses[s % addresses.length]),
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
    const deadline = Date.now() + 300_000;
    const trained = () => latest.reduce((sum, c) => sum + c.trained, 0);
    while (trained() < memberships) {
      if (Date.now() > deadline) throw new Error(`only ${trained()} of ${memberships} trained`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const endedAt = Math.max(...latest.map((c) => c.lastTrainedAt));
    const cpu = cores.reduce((sum, core) => sum + core.cpuSeconds(), 0) - cpuBefore;
    const clientCpuSeconds = clientCpu() - clientCpuBefore;
    const databaseCpuAfter = databaseCpuSeconds();
    const databaseCpu =
      databaseCpuBefore === undefined || databaseCpuAfter === undefined
        ? undefined
        : databaseCpuAfter - databaseCpuBefore;
    const acked = latest.reduce((sum, c) => sum + c.acked, 0);
    return { seconds: (endedAt - startedAt) / 1000, acked, cpu, clientCpuSeconds, databaseCpu };
  } finally {
    for (const worker of workers) {
      worker.send({ type: "stop" });
      setTimeout(() => worker.kill(), 1000).unref();
    }
  }
}

/** `npm run bench -- scale-out --pg URL|auto [--replicas 1,2,3] [--streams 64] [--quick]` */
export async function run(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs([...argv, "--only-pg"]);
  if (!args.pg) throw new Error("scale-out runs on PostgreSQL: pass --pg URL or --pg auto");
  const replicaCounts =
    typeof args.values.replicas === "string"
      ? args.values.replicas.split(",").map(Number)
      : [1, 2, 3];
  const streams = typeof args.values.streams === "string" ? Number(args.values.streams) : 64;
  const projects = Math.round(1200 * args.scale);
  console.log(describeMachine(machine()));
  const databases = await openDatabases(args);
  const results: ScaleOutResult[] = [];
  try {
    for (const replicas of replicaCounts) {
      const database = await databases.create("postgres");
      const cores: CoreChild[] = [];
      try {
        for (let i = 0; i < replicas; i++) {
          cores.push(await startCoreChild({ databaseUrl: database.url }));
        }
        // CreateProject accepts only keys some replica has seen.
        const counters = newCounters();
        const known = keys.map(
          (key) =>
            new BenchPlugin({
              address: (cores[0] as CoreChild).address,
              key,
              counters,
              instant: false,
            }),
        );
        await Promise.all(known.map((p) => p.registered));
        for (const plugin of known) plugin.close();
        await createProjects(cores, projects);
        await preprocessed(database.url);
        const memberships = projects * keyCount;
        const measured = await drive(
          cores,
          () => databases.serverCpuSeconds(),
          streams,
          memberships,
        );
        const perReport = (seconds: number) => (seconds * 1000) / measured.acked;
        const result: ScaleOutResult = {
          replicas,
          streams,
          projects,
          memberships,
          seconds: measured.seconds,
          membershipsPerSecond: memberships / measured.seconds,
          ackedReportsPerSecond: measured.acked / measured.seconds,
          coreCpuMsPerReport: perReport(measured.cpu),
          clientCpuMsPerReport: perReport(measured.clientCpuSeconds),
          databaseCpuMsPerReport:
            measured.databaseCpu === undefined ? undefined : perReport(measured.databaseCpu),
          cpusBusy:
            (measured.cpu + measured.clientCpuSeconds + (measured.databaseCpu ?? 0)) /
            measured.seconds,
        };
        results.push(result);
        console.log(
          `${replicas} replica(s): ${result.membershipsPerSecond.toFixed(0)} memberships/s, ${result.ackedReportsPerSecond.toFixed(0)} acked reports/s`,
        );
      } finally {
        await Promise.all(cores.map((core) => core.stop()));
        await database.drop();
      }
    }
  } finally {
    await databases.close();
  }
  const base = results[0]?.membershipsPerSecond ?? Number.NaN;
  const rows = results.map((r) => ({
    replicas: r.replicas,
    streams: r.streams,
    memberships: r.memberships,
    seconds: r.seconds,
    "memberships/s": r.membershipsPerSecond,
    "acked reports/s": r.ackedReportsPerSecond,
    "vs first": r.membershipsPerSecond / base,
    "all cores' CPU ms/report": r.coreCpuMsPerReport,
    "plugins ms/report": r.clientCpuMsPerReport,
    "PostgreSQL ms/report": r.databaseCpuMsPerReport ?? "not here",
    "CPUs busy": r.cpusBusy,
  }));
  printTable(`scale-out on PostgreSQL (${databases.postgres})`, rows);
  writeResults("scale-out", { postgres: databases.postgres, machine: machine(), results });
}
