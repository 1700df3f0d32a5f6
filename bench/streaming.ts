/**
 * `streaming`: live prescriptions (PostEvents → plugins → WatchPrescriptions). One TRAINED
 * project with a definition, 3 plugin keys × 1 SDK instance (`runPlugin` with a trivial model,
 * each in a process of its own), one WatchPrescriptions reader from event 0.
 *
 * 1. Throughput: events posted in batches of 100 round-robin over 1,000 cases (each batch 100
 *    distinct cases; a case gets its next event every 10 batches), at most `window` events
 *    posted and not yet shown to the reader, for `--seconds` (default 15); fully prescribed
 *    events (every key answered, none `missing`) per second at the reader, the core's, the
 *    plugins' and PostgreSQL's CPU per event, and the ratio to the grpc-js echo ceiling
 *    (messages per second) measured in the same run.
 * 2. Latency: one event per PostEvents call at `--rate` events/s (default 200) over another
 *    1,000 cases, for `--latency-seconds` (default 5): from PostEvents returning to the event arriving at the
 *    reader (p50, p99), beside the bare grpc-js unary round trip of the same run.
 */

import { fileURLToPath } from "node:url";
import { credentials } from "@grpc/grpc-js";
import {
  type PostEventsResponse,
  type PrescribedEvent,
  PrescriptionServiceClient,
} from "../src/gen/trainingcore/v1/prescription_service.js";
import { ProjectServiceClient } from "../src/gen/trainingcore/v1/project_service.js";
import { type EchoResult, echoRows, measureEcho } from "./echo.js";
import { bareUnary } from "./latency.js";
import { type BenchArgs, type Dialect, parseBenchArgs } from "./lib/args.js";
import { openDatabases } from "./lib/databases.js";
import {
  type Attributes,
  createTrainedLiveProject,
  eventAt,
  liveCases,
  liveKeys,
  startLivePlugins,
  stopLivePlugins,
  unary,
  uptime,
  waitFor,
  waitForLivePlugins,
} from "./lib/live-stream.js";
import { cpuSecondsOf, startCoreChild, type Worker } from "./lib/processes.js";
import {
  describeMachine,
  machine,
  printTable,
  summary,
  wallMs,
  writeResults,
} from "./lib/report.js";
import { type CrossReplicaResult, crossReplicaRun } from "./streaming-replicas.js";

const keys = liveKeys;
const cases = liveCases;
const batchSize = 100;
/** Default for `--window`: events posted and not yet at the reader, at most. */
const defaultWindow = 1000;
/** Default for `--rate`: events per second of the latency phase. */
const defaultLatencyRate = 200;
const targets = { sqlite: 2000, postgres: 1000 } as const;
const targetP50Ms = 5;
const targetP99Ms = 20;

export interface StreamingResult {
  readonly dialect: Dialect;
  readonly seconds: number;
  readonly posted: number;
  readonly shown: number;
  readonly fullyPrescribed: number;
  readonly eventsPerSecond: number;
  readonly postCalls: number;
  readonly window: number;
  /** The first `detail` of an event not fully prescribed in the throughput phase, if any. */
  readonly missingDetail: string | undefined;
  readonly coreCpuMsPerEvent: number;
  readonly pluginCpuMsPerEvent: number;
  readonly databaseCpuMsPerEvent: number | undefined;
  readonly latency: {
    readonly events: number;
    readonly rate: number;
    readonly missed: number;
    readonly postMs: ReturnType<typeof summary>;
    readonly arrivalMs: ReturnType<typeof summary>;
  };
  readonly loadBefore: string;
  readonly loadAfter: string;
}

async function streamingRun(
  args: BenchArgs,
  dialect: Dialect,
  url: string,
  databaseCpuSeconds: () => number | undefined,
): Promise<StreamingResult> {
  const seconds = Number(args.values.seconds ?? 15);
  const latencySeconds = Number(args.values["latency-seconds"] ?? 5);
  const window = Number(args.values.window ?? defaultWindow);
  const latencyRate = Number(args.values.rate ?? defaultLatencyRate);
  const loadBefore = uptime();
  // --sql-times FILE (SQLite): time every statement in the core, totals by SQL text to FILE.
  const sqlTimes = typeof args.values["sql-times"] === "string" ? args.values["sql-times"] : "";
  const timer = fileURLToPath(new URL("./lib/sqlite-statement-timer.mjs", import.meta.url));
  const core = await startCoreChild({
    databaseUrl: url,
    profileDir: args.profileDir,
    env:
      sqlTimes && dialect === "sqlite"
        ? { NODE_OPTIONS: `--import ${timer}`, BENCH_SQL_TIMES: sqlTimes }
        : {},
  });
  const plugins: Worker<{ type: string }>[] = [];
  const creds = credentials.createInsecure();
  const projects = new ProjectServiceClient(core.address, creds);
  const live = new PrescriptionServiceClient(core.address, creds);
  const reader = new PrescriptionServiceClient(core.address, creds);
  try {
    plugins.push(...startLivePlugins(core.address));
    await waitForLivePlugins(projects);
    const projectId = await createTrainedLiveProject(projects, "streaming bench");

    // The reader: every event from 0, with its arrival time.
    let shown = 0;
    let fullyPrescribed = 0;
    let lastArrival = 0;
    const arrivals = new Map<number, number>();
    let recordArrivals = false;
    let missingDetail: string | undefined;
    const stream = reader.watchPrescriptions({ projectId, afterEventId: 0 });
    stream.on("data", (message: { event?: PrescribedEvent }) => {
      const event = message.event;
      if (!event) return;
      const at = wallMs();
      shown++;
      lastArrival = at;
      if (event.missing.length === 0 && keys.every((k) => event.prescriptions[k]?.output)) {
        fullyPrescribed++;
      } else if (missingDetail === undefined && !recordArrivals) {
        missingDetail = Object.values(event.prescriptions).find((p) => p.detail)?.detail ?? "?";
      }
      if (recordArrivals) arrivals.set(Number(event.eventId), at);
    });
    stream.on("error", () => {});

    const post = (events: { attributes: Attributes; caseCompleted: boolean }[], id: string) =>
      unary<PostEventsResponse>((done) =>
        live.postEvents({ projectId, events, requestId: id }, done),
      );

    // 1. Throughput.
    const cpuAtStart = core.cpuSeconds();
    const pluginCpu = () => plugins.reduce((sum, w) => sum + cpuSecondsOf(w.child.pid ?? 0), 0);
    const pluginCpuAtStart = pluginCpu();
    const databaseCpuAtStart = databaseCpuSeconds();
    const startedAt = wallMs();
    let posted = 0;
    let postCalls = 0;
    while (wallMs() - startedAt < seconds * 1000) {
      if (posted - shown >= window) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        continue;
      }
      const batch = Array.from({ length: batchSize }, (_, i) => eventAt("c", posted + i));
      await post(batch, `t-${postCalls}`);
      posted += batch.length;
      postCalls++;
    }
    await waitFor(() => shown >= posted, `the reader did not see all ${posted} events`, 120_000);
    const runSeconds = (lastArrival - startedAt) / 1000;
    const coreCpu = core.cpuSeconds() - cpuAtStart;
    const pluginCpuSeconds = pluginCpu() - pluginCpuAtStart;
    const databaseCpuAtEnd = databaseCpuSeconds();
    const throughputFully = fullyPrescribed;
    console.log(
      `${dialect}: ${posted} events in ${runSeconds.toFixed(1)} s, ${(posted / runSeconds).toFixed(0)} events/s (load ${uptime()})`,
    );

    // 2. Latency at a steady rate, one event per call.
    const returned = new Map<number, number>();
    const postSamples: number[] = [];
    recordArrivals = true;
    const total = Math.round(latencyRate * latencySeconds);
    const latencyStart = wallMs();
    const pending: Promise<void>[] = [];
    for (let n = 0; n < total; n++) {
      const due = latencyStart + (n * 1000) / latencyRate;
      const wait = due - wallMs();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const sent = wallMs();
      pending.push(
        post([eventAt("l", n)], `l-${n}`).then((response) => {
          const at = wallMs();
          postSamples.push(at - sent);
          returned.set(Number(response.eventIds[0]), at);
        }),
      );
    }
    await Promise.all(pending);
    await waitFor(
      () => [...returned.keys()].every((id) => arrivals.has(id)),
      "the reader did not see every latency event",
      120_000,
    );
    const arrivalSamples = [...returned].map(([id, at]) => (arrivals.get(id) as number) - at);
    stream.cancel();
    return {
      dialect,
      seconds: runSeconds,
      posted,
      shown: posted,
      fullyPrescribed: throughputFully,
      eventsPerSecond: throughputFully / runSeconds,
      postCalls,
      window,
      missingDetail,
      coreCpuMsPerEvent: (coreCpu * 1000) / posted,
      pluginCpuMsPerEvent: (pluginCpuSeconds * 1000) / posted,
      databaseCpuMsPerEvent:
        databaseCpuAtStart === undefined || databaseCpuAtEnd === undefined
          ? undefined
          : ((databaseCpuAtEnd - databaseCpuAtStart) * 1000) / posted,
      latency: {
        events: total,
        rate: latencyRate,
        missed: total - arrivalSamples.length,
        postMs: summary(postSamples),
        arrivalMs: summary(arrivalSamples),
      },
      loadBefore,
      loadAfter: uptime(),
    };
  } finally {
    stopLivePlugins(plugins);
    projects.close();
    live.close();
    reader.close();
    await core.stop();
  }
}

/**
 * `npm run bench -- streaming [--pg URL|auto] [--only-pg] [--seconds S] [--latency-seconds S]
 * [--replica-rate R] [--no-replicas]
 * [--window N] [--rate R] [--profile DIR] [--sql-times FILE]`
 */
export async function run(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  console.log(describeMachine(machine()));
  const results: StreamingResult[] = [];
  let replicas: CrossReplicaResult | undefined;
  const databases = await openDatabases(args);
  try {
    for (const dialect of args.dialects) {
      const database = await databases.create(dialect);
      try {
        const databaseCpu = () =>
          dialect === "postgres" ? databases.serverCpuSeconds() : undefined;
        results.push(await streamingRun(args, dialect, database.url, databaseCpu));
      } finally {
        await database.drop();
      }
      if (dialect === "postgres" && !args.values["no-replicas"]) {
        const shared = await databases.create(dialect);
        try {
          replicas = await crossReplicaRun(args, shared.url);
        } finally {
          await shared.drop();
        }
      }
    }
  } finally {
    await databases.close();
  }
  const echo: EchoResult[] = [];
  for (const streams of [1, 100]) echo.push(await measureEcho(streams, 3000));
  const echoBest = Math.max(...echo.map((e) => e.messagesPerSecond));
  const unarySamples = await bareUnary(1000);
  const bare = summary(unarySamples);
  printTable(
    `throughput: batches of ${batchSize} over ${cases} cases, 3 keys × 1 SDK instance, one reader`,
    results.map((r) => ({
      database: r.dialect,
      events: r.posted,
      window: r.window,
      seconds: r.seconds,
      "fully prescribed": r.fullyPrescribed,
      "events/s": r.eventsPerSecond,
      target: `≥ ${targets[r.dialect]}`,
      "ratio to echo": r.eventsPerSecond / echoBest,
      "core CPU ms/event": r.coreCpuMsPerEvent,
      "plugins CPU ms/event": r.pluginCpuMsPerEvent,
      "PostgreSQL CPU ms/event": r.databaseCpuMsPerEvent ?? "-",
      "load before → after": `${r.loadBefore} → ${r.loadAfter}`,
    })),
  );
  printTable("latency (one event per PostEvents at --rate): PostEvents returned → at the reader", [
    ...results.flatMap((r) => [
      {
        what: "PostEvents → reader",
        database: r.dialect,
        "events/s": r.latency.rate,
        events: r.latency.events,
        missed: r.latency.missed,
        ...r.latency.arrivalMs,
        target: `p50 < ${targetP50Ms}, p99 < ${targetP99Ms}`,
      },
      {
        what: "PostEvents round trip",
        database: r.dialect,
        "events/s": r.latency.rate,
        events: r.latency.events,
        missed: "-",
        ...r.latency.postMs,
        target: "-",
      },
    ]),
    {
      what: "bare grpc-js unary",
      database: "-",
      events: 1000,
      missed: "-",
      ...bare,
      target: "-",
    },
  ]);
  if (replicas) {
    printTable(
      "cross-replica latency (PostgreSQL): PostEvents returned on replica A → at the reader on replica C, plugins on replica B",
      [
        {
          "events/s": replicas.rate,
          events: replicas.events,
          missed: replicas.missed,
          "fully prescribed": replicas.fullyPrescribed,
          ...replicas.arrivalMs,
          load: replicas.load,
        },
      ],
    );
  }
  for (const r of results) {
    if (r.missingDetail)
      console.log(`${r.dialect}: not fully prescribed, e.g.: ${r.missingDetail}`);
  }
  printTable("bare grpc-js bidi echo (the ceiling; ratio uses the higher)", echoRows(echo));
  writeResults("streaming", {
    streaming: results,
    crossReplica: replicas,
    echo,
    echoCeiling: echoBest,
    bareUnary: bare,
  });
}
