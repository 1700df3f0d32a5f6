/**
 * `prescriptions`: one TRAINED project, 3 plugin keys × 1 SDK instance (`runPlugin` with a
 * trivial model, each in a process of its own), one job of 100,000 running cases of 10 events.
 * The running-cases CSV is generated to a temporary file, uploaded with DatasetService, then
 * prescribed with PrescribeDataset{dataset_id}.
 *
 * Prints: preparation (upload, then PrescribeDataset until the first request reaches a plugin),
 * cases prescribed per second per plugin (from its request's delivery to its JobPlugin DONE, as
 * WatchPrescriptionJob reports it), result parts stored per second against the grpc-js echo
 * ceiling measured in the same run, the core's CPU per 1,000 cases, and the peak growth of the
 * core's RSS (sampled every 50 ms) during the job over its RSS before PrescribeDataset.
 */

import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { credentials } from "@grpc/grpc-js";
import { DatasetServiceClient } from "../src/gen/trainingcore/v1/dataset_service.js";
import {
  JobPluginStatus,
  JobStatus,
  type PrescriptionJob,
  PrescriptionServiceClient,
} from "../src/gen/trainingcore/v1/prescription_service.js";
import { ProjectStatus } from "../src/gen/trainingcore/v1/project.js";
import { ProjectServiceClient } from "../src/gen/trainingcore/v1/project_service.js";
import { createProjectRequest } from "../test/helpers/projects.js";
import { type EchoResult, echoRows, runEchoBenchmarks } from "./echo.js";
import { type BenchArgs, type Dialect, parseBenchArgs } from "./lib/args.js";
import { openDatabases } from "./lib/databases.js";
import { upload } from "./lib/dataset-client.js";
import type { GeneratedFile } from "./lib/dataset-files.js";
import {
  cpuSecondsOf,
  forkWorker,
  metricValue,
  startCoreChild,
  type Worker,
} from "./lib/processes.js";
import { describeMachine, machine, printTable, wallMs, writeResults } from "./lib/report.js";

const keys = ["bench-rx-a", "bench-rx-b", "bench-rx-c"];
const eventsPerCase = 10;
const activities = ["register", "check", "review", "approve", "notify", "archive"];
/** The SDK's default part size, named so the parts count is known. */
const partSize = 1000;
const targetCasesPerSecond = 20_000;
const targetRssGrowthMb = 64;

type FromPlugin = { type: string; requestId?: string; at?: number; cases?: number };

export interface PrescriptionsResult {
  readonly dialect: Dialect;
  readonly cases: number;
  readonly datasetMb: number;
  readonly uploadSeconds: number;
  /** PrescribeDataset until the first request reached a plugin (the job RUNNING). */
  readonly preparationSeconds: number;
  readonly preparationCoreCpuSeconds: number;
  readonly perPlugin: { key: string; seconds: number; casesPerSecond: number }[];
  /** First delivery to the job DONE. */
  readonly runSeconds: number;
  readonly parts: number;
  readonly partsPerSecond: number;
  readonly runCoreCpuSeconds: number;
  /** Core CPU ms per 1,000 cases of the job (each answered by every plugin). */
  readonly coreCpuMsPer1000Cases: number;
  readonly pluginCpuMsPer1000Cases: number;
  readonly databaseCpuSeconds: number | undefined;
  readonly rssBeforeMb: number;
  /** The core's V8 heap (total = reserved) and external memory: before, and peak during the job. */
  readonly heapBeforeMb: number;
  readonly peakHeapTotalMb: number;
  readonly peakHeapUsedMb: number;
  readonly externalBeforeMb: number;
  readonly peakExternalMb: number;
  readonly peakRssGrowthPreparationMb: number;
  readonly peakRssGrowthRunMb: number;
  readonly loadBefore: string;
  readonly loadAfter: string;
}

/** The running-cases CSV: `cases` cases of `eventsPerCase` events, contiguous, in time order. */
async function writeRunningCases(path: string, cases: number): Promise<GeneratedFile> {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  const hash = createHash("sha256");
  let bytes = 0;
  const write = async (text: string) => {
    const chunk = Buffer.from(text);
    hash.update(chunk);
    bytes += chunk.length;
    if (!out.write(chunk)) await once(out, "drain");
  };
  await write("case,activity,timestamp\n");
  const base = Date.UTC(2024, 0, 1);
  let lines: string[] = [];
  for (let c = 0; c < cases; c++) {
    const caseId = `case-${String(c).padStart(6, "0")}`;
    for (let e = 0; e < eventsPerCase; e++) {
      const at = new Date(base + c * 60_000 + e * 3_600_000).toISOString();
      lines.push(`${caseId},${activities[(c + e) % activities.length]},${at}\n`);
    }
    if (lines.length >= 20_000) {
      await write(lines.join(""));
      lines = [];
    }
  }
  await write(lines.join(""));
  out.end();
  await once(out, "finish");
  return { path, bytes, sha256: hash.digest("hex") };
}

/** The training set of the project: 200 cases of 5 events, same columns. */
function trainingCsv(): Buffer {
  const lines = ["case,activity,timestamp"];
  for (let c = 0; c < 200; c++) {
    for (let e = 0; e < 5; e++) {
      const at = new Date(Date.UTC(2023, 0, 1) + c * 60_000 + e * 3_600_000).toISOString();
      lines.push(`t${c},${activities[(c + e) % activities.length]},${at}`);
    }
  }
  return Buffer.from(`${lines.join("\n")}\n`);
}

function unary<T>(start: (done: (error: Error | null, value: T) => void) => unknown): Promise<T> {
  return new Promise((resolve, reject) =>
    start((error, value) => (error ? reject(error) : resolve(value))),
  );
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 120_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

/** WatchPrescriptionJob until DONE or ERROR; calls `onJob` with each message's arrival time. */
function watch(
  client: PrescriptionServiceClient,
  jobId: string,
  onJob: (job: PrescriptionJob, at: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const stream = client.watchPrescriptionJob({ jobId });
    stream.on("data", (message: { job?: PrescriptionJob }) => {
      if (message.job) onJob(message.job, wallMs());
    });
    stream.on("error", reject);
    stream.on("end", () => resolve());
  });
}

const uptime = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

async function prescriptionsRun(
  args: BenchArgs,
  dialect: Dialect,
  url: string,
  file: GeneratedFile,
  cases: number,
  databaseCpuSeconds: () => number | undefined,
): Promise<PrescriptionsResult> {
  const loadBefore = uptime();
  // BENCH_CORE_NODE_OPTIONS: Node options for the core only (e.g. --max-old-space-size=80).
  const nodeOptions = process.env.BENCH_CORE_NODE_OPTIONS;
  const core = await startCoreChild({
    databaseUrl: url,
    profileDir: args.profileDir,
    env: nodeOptions ? { NODE_OPTIONS: nodeOptions } : {},
  });
  const plugins: Worker<FromPlugin>[] = [];
  const creds = credentials.createInsecure();
  const projects = new ProjectServiceClient(core.address, creds);
  const datasets = new DatasetServiceClient(core.address, creds);
  const jobs = new PrescriptionServiceClient(core.address, creds);
  let sampler: NodeJS.Timeout | undefined;
  try {
    for (const key of keys) {
      const worker = forkWorker<FromPlugin>("prescription-plugin-worker.ts");
      worker.send({ type: "run", address: core.address, key, partSize });
      plugins.push(worker);
    }
    await waitFor(async () => {
      const listed = await unary<{ plugins: { key: string; instances: number }[] }>((done) =>
        projects.listPlugins({}, done),
      );
      return keys.every((key) => listed.plugins.some((p) => p.key === key && p.instances > 0));
    }, "the plugins did not register");
    const created = await unary<{ project?: { id: number } }>((done) =>
      projects.createProject(
        createProjectRequest({
          name: "prescriptions bench",
          datasetCsv: trainingCsv(),
          pluginKeys: keys,
          holdoutFraction: 0,
          // Empty: the columns are inferred (case, activity, timestamp); a project prescribes
          // only with a definition.
          definition: {
            columns: {},
            caseAttributes: [],
            positiveOutcome: undefined,
            negativeOutcome: undefined,
            treatment: undefined,
          },
        }),
        done,
      ),
    );
    const projectId = created.project?.id as number;
    await waitFor(async () => {
      const got = await unary<{ project?: { status: ProjectStatus } }>((done) =>
        projects.getProject({ projectId }, done),
      );
      return got.project?.status === ProjectStatus.PROJECT_STATUS_TRAINED;
    }, "the project was not TRAINED");

    // Preparation: upload, then PrescribeDataset until the first request reaches a plugin.
    const uploadStarted = wallMs();
    const datasetId = await upload(datasets, file, 1 << 20, "running.csv");
    const uploadSeconds = (wallMs() - uploadStarted) / 1000;

    const rssNow = () => core.rssKb() / 1024;
    const rssBeforeMb = rssNow();
    let phase: "preparation" | "run" = "preparation";
    const peak = { preparation: rssBeforeMb, run: rssBeforeMb };
    sampler = setInterval(() => {
      const mb = rssNow();
      peak[phase] = Math.max(peak[phase], mb);
    }, 50);

    // What the RSS is made of, from the core's /metrics: the JS heap and memory outside it.
    const heapPeak = { heapTotalMb: 0, heapUsedMb: 0, externalMb: 0 };
    const heapSampler = setInterval(() => {
      core.scrape().then(
        (text) => {
          const mb = (name: string) => metricValue(text, name) / 2 ** 20;
          heapPeak.heapTotalMb = Math.max(heapPeak.heapTotalMb, mb("nodejs_heap_size_total_bytes"));
          heapPeak.heapUsedMb = Math.max(heapPeak.heapUsedMb, mb("nodejs_heap_size_used_bytes"));
          heapPeak.externalMb = Math.max(heapPeak.externalMb, mb("nodejs_external_memory_bytes"));
        },
        () => {},
      );
    }, 500);
    const heapBefore = await core.scrape().then((text) => ({
      heapTotalMb: metricValue(text, "nodejs_heap_size_total_bytes") / 2 ** 20,
      externalMb: metricValue(text, "nodejs_external_memory_bytes") / 2 ** 20,
    }));
    const delivered = new Map<string, number>();
    const firstDelivery = new Promise<number>((resolve) => {
      plugins.forEach((worker, i) => {
        worker.child.on("message", (message: FromPlugin) => {
          if (message.type !== "delivered") return;
          delivered.set(keys[i] as string, message.at as number);
          if (delivered.size === 1) {
            peak.run = Math.max(peak.run, rssNow());
            phase = "run";
            resolve(message.at as number);
          }
        });
      });
    });
    const cpuBefore = core.cpuSeconds();
    const pluginCpu = () => plugins.reduce((sum, w) => sum + cpuSecondsOf(w.child.pid ?? 0), 0);
    const prescribeStarted = wallMs();
    const response = await unary<{ job?: PrescriptionJob }>((done) =>
      jobs.prescribeDataset(
        { projectId, datasetCsv: Buffer.alloc(0), datasetId, requestId: "" },
        done,
      ),
    );
    const jobId = response.job?.jobId as string;
    const startedAt = await firstDelivery;
    const cpuAtStart = core.cpuSeconds();
    const pluginCpuAtStart = pluginCpu();
    const databaseCpuAtStart = databaseCpuSeconds();

    const pluginDone = new Map<string, number>();
    let last: PrescriptionJob | undefined;
    let doneAt = 0;
    await watch(jobs, jobId, (job, at) => {
      last = job;
      for (const p of job.plugins) {
        if (p.status === JobPluginStatus.JOB_PLUGIN_STATUS_DONE && !pluginDone.has(p.key)) {
          pluginDone.set(p.key, at);
        }
      }
      if (job.status === JobStatus.JOB_STATUS_DONE && doneAt === 0) doneAt = at;
    });
    const cpuAfter = core.cpuSeconds();
    const pluginCpuSeconds = pluginCpu() - pluginCpuAtStart;
    const databaseCpuAtEnd = databaseCpuSeconds();
    clearInterval(sampler);
    clearInterval(heapSampler);
    sampler = undefined;
    peak.run = Math.max(peak.run, rssNow());
    if (last?.status !== JobStatus.JOB_STATUS_DONE) {
      throw new Error(`the job ended ${JobStatus[last?.status ?? 0]}: ${last?.error}`);
    }
    const notDone = last.plugins.filter((p) => p.status !== JobPluginStatus.JOB_PLUGIN_STATUS_DONE);
    if (notDone.length > 0 || last.plugins.some((p) => Number(p.casesDone) !== cases)) {
      throw new Error(`not every plugin answered every case: ${JSON.stringify(last.plugins)}`);
    }
    const perPlugin = keys.map((key) => {
      const seconds = ((pluginDone.get(key) ?? doneAt) - (delivered.get(key) ?? startedAt)) / 1000;
      return { key, seconds, casesPerSecond: cases / seconds };
    });
    const runSeconds = (doneAt - startedAt) / 1000;
    const parts = keys.length * Math.ceil(cases / partSize);
    return {
      dialect,
      cases,
      datasetMb: file.bytes / 1e6,
      uploadSeconds,
      preparationSeconds: (startedAt - prescribeStarted) / 1000,
      preparationCoreCpuSeconds: cpuAtStart - cpuBefore,
      perPlugin,
      runSeconds,
      parts,
      partsPerSecond: parts / runSeconds,
      runCoreCpuSeconds: cpuAfter - cpuAtStart,
      coreCpuMsPer1000Cases: ((cpuAfter - cpuAtStart) * 1000 * 1000) / cases,
      pluginCpuMsPer1000Cases: (pluginCpuSeconds * 1000 * 1000) / (cases * keys.length),
      databaseCpuSeconds:
        databaseCpuAtStart === undefined || databaseCpuAtEnd === undefined
          ? undefined
          : databaseCpuAtEnd - databaseCpuAtStart,
      rssBeforeMb,
      heapBeforeMb: heapBefore.heapTotalMb,
      peakHeapTotalMb: heapPeak.heapTotalMb,
      peakHeapUsedMb: heapPeak.heapUsedMb,
      externalBeforeMb: heapBefore.externalMb,
      peakExternalMb: heapPeak.externalMb,
      peakRssGrowthPreparationMb: peak.preparation - rssBeforeMb,
      peakRssGrowthRunMb: peak.run - rssBeforeMb,
      loadBefore,
      loadAfter: uptime(),
    };
  } finally {
    if (sampler) clearInterval(sampler);
    for (const worker of plugins) {
      worker.send({ type: "stop" });
      setTimeout(() => worker.kill(), 2000).unref();
    }
    projects.close();
    datasets.close();
    jobs.close();
    await core.stop();
  }
}

/** `npm run bench -- prescriptions [--pg URL|auto] [--only-pg] [--quick] [--cases N] [--profile DIR]` */
export async function run(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  const cases =
    typeof args.values.cases === "string"
      ? Number(args.values.cases)
      : Math.round(100_000 * args.scale);
  console.log(describeMachine(machine()));
  const dir = await mkdtemp(join(tmpdir(), "bench-prescriptions-"));
  const results: PrescriptionsResult[] = [];
  try {
    const generated = wallMs();
    const file = await writeRunningCases(join(dir, "running.csv"), cases);
    console.log(
      `running cases: ${cases.toLocaleString("en-US")} cases × ${eventsPerCase} events, ${(file.bytes / 1e6).toFixed(1)} MB, generated in ${((wallMs() - generated) / 1000).toFixed(1)} s`,
    );
    const databases = await openDatabases(args);
    try {
      for (const dialect of args.dialects) {
        const database = await databases.create(dialect);
        try {
          const databaseCpu = () =>
            dialect === "postgres" ? databases.serverCpuSeconds() : undefined;
          const result = await prescriptionsRun(
            args,
            dialect,
            database.url,
            file,
            cases,
            databaseCpu,
          );
          results.push(result);
          console.log(
            `${dialect}: ${result.perPlugin.map((p) => p.casesPerSecond.toFixed(0)).join(" / ")} cases/s per plugin (load ${result.loadBefore} → ${result.loadAfter})`,
          );
        } finally {
          await database.drop();
        }
      }
    } finally {
      await databases.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const ceiling = await runEchoBenchmarks(args);
  const echoBest = Math.max(...ceiling.echo.map((e) => e.messagesPerSecond));
  const echoUsed = ceiling.echo.find((e) => e.messagesPerSecond === echoBest) as EchoResult;
  printTable(
    "preparation: upload, then PrescribeDataset until the first request reaches a plugin",
    results.map((r) => ({
      database: r.dialect,
      "cases × events": `${r.cases} × ${eventsPerCase}`,
      MB: r.datasetMb,
      "upload s": r.uploadSeconds,
      "prepare s": r.preparationSeconds,
      "prepare core CPU s": r.preparationCoreCpuSeconds,
      "peak RSS growth MB": r.peakRssGrowthPreparationMb,
    })),
  );
  printTable(
    `answering: from each plugin's delivery to its DONE (3 keys × 1 SDK instance, parts of ${partSize})`,
    results.flatMap((r) =>
      r.perPlugin.map((p) => ({
        database: r.dialect,
        plugin: p.key,
        seconds: p.seconds,
        "cases/s": p.casesPerSecond,
        target: `≥ ${targetCasesPerSecond.toLocaleString("en-US")}`,
      })),
    ),
  );
  printTable(
    "the job: first delivery to DONE",
    results.map((r) => ({
      database: r.dialect,
      seconds: r.runSeconds,
      "parts stored": r.parts,
      "parts/s": r.partsPerSecond,
      "ratio to echo": r.partsPerSecond / echoBest,
      "core CPU s": r.runCoreCpuSeconds,
      "core CPU ms / 1,000 cases": r.coreCpuMsPer1000Cases,
      "plugin CPU ms / 1,000 cases": r.pluginCpuMsPer1000Cases,
      "PostgreSQL CPU s": r.databaseCpuSeconds ?? "-",
      "RSS before MB": r.rssBeforeMb,
      "peak RSS growth MB": r.peakRssGrowthRunMb,
      "RSS target": `< ${targetRssGrowthMb}`,
      "heap MB before → peak (used)": `${r.heapBeforeMb.toFixed(0)} → ${r.peakHeapTotalMb.toFixed(0)} (${r.peakHeapUsedMb.toFixed(0)})`,
      "external MB before → peak": `${r.externalBeforeMb.toFixed(0)} → ${r.peakExternalMb.toFixed(0)}`,
      "load before → after": `${r.loadBefore} → ${r.loadAfter}`,
    })),
  );
  printTable("bare grpc-js bidi echo (the ceiling; ratio uses the higher)", echoRows(ceiling.echo));
  writeResults("prescriptions", {
    postgres: ceiling.postgres,
    prescriptions: results,
    echo: ceiling.echo,
    echoCeiling: echoBest,
    echoUsed,
  });
}
