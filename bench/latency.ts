/**
 * `latency`, at light load (one plugin, one request at a time, a pause between):
 * - dispatch: from the end of preprocessing (the time of the plugin's WAITING event, stored in
 *   the transaction that ends preprocessing; millisecond resolution) to the TrainingData
 *   arriving at the plugin (same clock: one machine);
 * - CreateProject (tiny dataset) round trip as the consumer sees it;
 * - the ceiling: a bare grpc-js unary CreateProject round trip (same messages, no work).
 */
import { loadavg } from "node:os";
import { parseBenchArgs } from "./lib/args.js";
import { openDatabases } from "./lib/databases.js";
import { forkWorker, startCoreChild } from "./lib/processes.js";
import { describeMachine, machine, printTable, summary, writeResults } from "./lib/report.js";

const targetP99Ms = 5;

type LatencyResult = { type: string; create: number[]; dispatch: number[] };

/**
 * The plugin and the consumer in one process (the default), or with `split` each in a process
 * of its own (`--split`), the plugin's TrainingData arrivals relayed to the consumer by this
 * process: then neither competes with the other for its event loop.
 */
async function createWhileTraining(address: string, iterations: number, split: boolean) {
  const command = { address, key: "bench-latency", iterations, pauseMs: 10 };
  const worker = forkWorker<{ type: string }>("plugin-worker.ts");
  const plugin = split ? forkWorker<{ type: string }>("plugin-worker.ts") : undefined;
  try {
    if (plugin) {
      plugin.child.on("message", (message: { type: string; projectId?: number; at?: number }) => {
        if (message.type !== "training-data") return;
        worker.send({ type: "arrived", projectId: message.projectId, at: message.at });
      });
      plugin.send({ type: "latency-plugin", address, key: command.key });
      await plugin.next("registered");
      worker.send({ ...command, type: "latency-consumer" });
    } else {
      worker.send({ ...command, type: "latency" });
    }
    const result = await worker.next<LatencyResult>("latency-result", 180_000);
    // CreateProject alone comes next: the plugin gone (its key stays known), so no report
    // traffic and no dispatch compete with it.
    for (const stopping of [worker, plugin]) {
      stopping?.send({ type: "stop" });
      await stopping?.next("stopped");
    }
    return result;
  } finally {
    plugin?.kill();
    worker.kill();
  }
}

async function coreLatency(
  databaseUrl: string,
  iterations: number,
  split: boolean,
  profileDir?: string,
) {
  const core = await startCoreChild({ databaseUrl, profileDir });
  try {
    const result = await createWhileTraining(core.address, iterations, split);
    // CreateProject alone; the 10 ms between calls let each preprocessing finish.
    const alone = forkWorker<{ type: string; samples?: { ms: number }[] }>("plugin-worker.ts");
    try {
      alone.send({
        type: "create-loop",
        address: core.address,
        key: "bench-latency",
        durationMs: iterations * 20,
        gapMs: 10,
      });
      const loop = await alone.next<{ type: string; samples: { ms: number }[] }>(
        "create-result",
        180_000,
      );
      return {
        create: loop.samples.map((sample) => sample.ms),
        createWhileTraining: result.create,
        dispatch: result.dispatch,
      };
    } finally {
      alone.kill();
    }
  } finally {
    await core.stop();
  }
}

/** Samples (ms) of a bare grpc-js unary round trip between two processes. */
export async function bareUnary(iterations: number): Promise<number[]> {
  const server = forkWorker<{ type: string; port?: number }>("echo-worker.ts");
  const client = forkWorker<{ type: string; samples?: number[] }>("echo-worker.ts");
  try {
    server.send({ type: "unary-server" });
    const { port } = await server.next<{ type: string; port: number }>("listening");
    client.send({ type: "unary-client", address: `127.0.0.1:${port}`, iterations });
    return (await client.next<{ type: string; samples: number[] }>("unary-result")).samples;
  } finally {
    client.kill();
    server.kill();
  }
}

/**
 * `npm run bench -- latency [--pg URL|auto] [--quick] [--split]`; `--split`: the plugin and the
 * consumer in separate processes (default: one process, as before).
 */
export async function run(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  const iterations = Math.round(500 * args.scale);
  const split = args.values.split === true;
  console.log(describeMachine(machine()));
  const databases = await openDatabases(args);
  const rows: Record<string, unknown>[] = [];
  const results: Record<string, unknown>[] = [];
  /** The 1-minute load average right after each measurement: this machine is shared. */
  const row = (what: string, database: string, samples: number[]) => {
    const s = summary(samples);
    const load = Number(loadavg()[0]?.toFixed(1));
    rows.push({
      measure: what,
      database,
      n: s.n,
      "p50 ms": s.p50,
      "p90 ms": s.p90,
      "p99 ms": s.p99,
      "max ms": s.max,
      load,
      target: what === "bare grpc-js unary" ? "ceiling" : `p99 < ${targetP99Ms}`,
    });
    // The samples too (0.01 ms), to pool runs: one run's p90 moves with the machine's load.
    const rounded = samples.map((ms) => Math.round(ms * 100) / 100);
    results.push({ measure: what, database, load, ...s, samples: rounded });
  };
  try {
    for (const dialect of args.dialects) {
      const database = await databases.create(dialect);
      try {
        const { create, createWhileTraining, dispatch } = await coreLatency(
          database.url,
          iterations,
          split,
          args.profileDir,
        );
        row("dispatch (preprocessed → TrainingData at plugin)", dialect, dispatch);
        row("CreateProject (tiny dataset)", dialect, create);
        row("CreateProject while its plugin reports", dialect, createWhileTraining);
      } finally {
        await database.drop();
      }
    }
  } finally {
    await databases.close();
  }
  row("bare grpc-js unary", "-", await bareUnary(Math.max(iterations, 1000)));
  const processes = split ? "plugin and consumer in separate processes" : "one client process";
  printTable(`latency at light load (one request at a time; ${processes})`, rows);
  writeResults("latency", { postgres: databases.postgres, split, latency: results });
}
