/**
 * `datasets`: large files through the real core (`node dist/main.js`, a fresh core and
 * database per file). For synthetic receipt-shaped event logs of 10 MB, 100 MB and 1 GB:
 * UploadDataset throughput, preprocessing throughput (CreateProject with the dataset_id until
 * the dataset is recorded), DownloadDataset throughput of the training set, and the core's peak
 * RSS (VmRSS sampled every 50 ms). Ceilings from the same run: the preprocessing scanner alone
 * over the same file, the whole pipeline in-process without the store, and csv-parse alone.
 * `--definition` creates the projects with an event-log definition (benchDefinition), so the
 * core writes the normalized training set; `--xes` uploads the XES twin of each log instead
 * (rates stay over the stored file's bytes, about 1.7 times the CSV's; no CSV ceilings then);
 * `--interleaved` writes the CSV with 100 cases open at a time, their events in turn (no case
 * contiguous: the core groups the log on disk when it has a definition).
 *
 *   npm run bench -- datasets [--sizes 10,100,1000] [--keep] [--chunk-kib 1024] [--window-kib 16384]
 *                             [--pg URL|auto] [--only-pg] [--profile DIR] [--no-passes]
 *                             [--definition] [--xes] [--interleaved]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { credentials } from "@grpc/grpc-js";
import { DatasetServiceClient } from "../src/gen/trainingcore/v1/dataset_service.js";
import { ProjectServiceClient } from "../src/gen/trainingcore/v1/project_service.js";
import { type BenchArgs, type Dialect, parseBenchArgs } from "./lib/args.js";
import { benchDefinition } from "./lib/bench-definition.js";
import { BenchPlugin, newCounters } from "./lib/bench-plugin.js";
import { openDatabases } from "./lib/databases.js";
import { createProject, download, preprocessed, RssSampler, upload } from "./lib/dataset-client.js";
import { type GeneratedFile, type Pass, writeEventLog } from "./lib/dataset-files.js";
import type { PassName, PassRequest } from "./lib/dataset-pass-worker.js";
import { forkWorker, startCoreChild } from "./lib/processes.js";
import { describeMachine, machine, printTable, writeResults } from "./lib/report.js";

const targets = { preprocessMBps: 100, transferMBps: 200, rssGrowthMB: 64 };
/** csv-parse is slow: it reads at most this much of each file. */
const CSV_PARSE_PREFIX_BYTES = 100e6;
const PASSES: readonly PassName[] = ["scanner alone", "pipeline in-process", "csv-parse alone"];

/** One in-process pass over `file`, in a worker process of its own (best of several runs). */
async function inWorker(pass: PassName, file: GeneratedFile): Promise<Pass> {
  const worker = forkWorker<{ type: string; result?: Pass }>("dataset-pass-worker.ts");
  try {
    const request: PassRequest = { type: "pass", pass, file, limitBytes: CSV_PARSE_PREFIX_BYTES };
    worker.send(request);
    const { result } = await worker.next<{ type: string; result: Pass }>("pass-result", 600_000);
    return result;
  } finally {
    worker.kill();
  }
}

/** What is uploaded and how the project is created. */
interface LogChoice {
  readonly format: "csv" | "xes";
  readonly definition: boolean;
  readonly interleaved: boolean;
}

interface CoreRun extends LogChoice {
  readonly dialect: Dialect;
  readonly sizeMB: number;
  readonly bytes: number;
  readonly rows: number;
  readonly uploadMBps: number;
  readonly preprocessMBps: number;
  /** Preprocessing time as the core logs it (without queueing and the final poll). */
  readonly preprocessCoreMs: number | undefined;
  /** How the core says it preprocessed: in a worker thread, grouped on disk, in memory. */
  readonly preprocessPath: string;
  readonly positiveCases: number;
  readonly treatedCases: number;
  readonly downloadMBps: number;
  readonly trainingBytes: number;
  /** MB per CPU second of the core in each phase (robust when the machine is shared). */
  readonly coreCpuMBps: { upload: number; preprocess: number; download: number };
  /** MB per CPU second of this client (upload: read + encode; download: decode). */
  readonly clientCpuMBps: { upload: number; download: number };
  /** 1-minute load average when the run ended (2 cores: above 2 means contention). */
  readonly loadAverage: number;
  readonly idleRssMB: number;
  readonly peakRssMB: { upload: number; preprocess: number; download: number; all: number };
}

export async function run(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  const { values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    options: {
      sizes: { type: "string", default: "10,100,1000" },
      "chunk-kib": { type: "string", default: "1024" },
      keep: { type: "boolean", default: false },
      // Only the runs through the core (for quicker before/after comparisons).
      "no-passes": { type: "boolean", default: false },
      // 16 MiB, as the SDK's plugins use (src/sdk/run-plugin.ts); 0: grpc-js' default (64 KiB).
      "window-kib": { type: "string", default: "16384" },
      definition: { type: "boolean", default: false },
      xes: { type: "boolean", default: false },
      interleaved: { type: "boolean", default: false },
    },
  });
  const sizes = String(values.sizes).split(",").map(Number);
  if (sizes.some((s) => !(s > 0))) throw new Error("--sizes: megabytes, e.g. --sizes 10,100");
  const chunkBytes = Number(values["chunk-kib"]) * 1024;
  if (!(chunkBytes >= 1024)) throw new Error("--chunk-kib: KiB per upload message, e.g. 1024");
  const keep = values.keep === true;
  // The client's HTTP/2 receive window (grpc-node.flow_control_window): 0 keeps the default.
  const windowBytes = Number(values["window-kib"]) * 1024;
  const log: LogChoice = {
    format: values.xes === true ? "xes" : "csv",
    definition: values.definition === true,
    interleaved: values.interleaved === true,
  };
  if (log.interleaved && log.format === "xes") {
    throw new Error("--interleaved: CSV only (an XES log keeps each case in its trace)");
  }
  // The in-process passes read CSV: their ceilings say nothing about an XES file.
  const passes = values["no-passes"] === true || log.format === "xes" ? [] : PASSES;
  console.log(`${describeMachine(machine())}, load average ${loadavg()[0]?.toFixed(1)}`);
  const dir = await mkdtemp(join(tmpdir(), "training-core-datasets-"));
  const removeFiles = () => rm(dir, { recursive: true, force: true });
  if (!keep) process.once("exit", () => void removeFiles()); // also on Ctrl-C (see processes.ts)
  const databases = await openDatabases(args);
  const ceilings: (Pass & { sizeMB: number; pass: string })[] = [];
  const runs: CoreRun[] = [];
  try {
    for (const sizeMB of sizes) {
      const path = join(dir, `events-${sizeMB}MB.${log.format}`);
      const file = await writeEventLog(path, sizeMB * 1e6, log.format, log.interleaved);
      const twin = log.format === "xes" ? `, the XES twin of the ${sizeMB} MB CSV` : "";
      console.log(`\n${sizeMB} MB: ${file.path} (${file.bytes} bytes${twin})`);
      for (const pass of passes) {
        const result = await inWorker(pass, file);
        ceilings.push({ sizeMB, pass, ...result });
        console.log(
          `  ${pass}: ${result.mbPerSecond.toFixed(1)} MB/s (${result.mbPerCpuSecond.toFixed(1)} MB/cpu-s)`,
        );
      }
      for (const dialect of args.dialects) {
        const database = await databases.create(dialect);
        try {
          const result = await coreRun(args, dialect, database.url, sizeMB, file, log, {
            chunkBytes,
            windowBytes,
          });
          runs.push(result);
          console.log(
            `  core on ${dialect}: upload ${result.uploadMBps.toFixed(1)} MB/s, preprocess ${result.preprocessMBps.toFixed(1)} MB/s, download ${result.downloadMBps.toFixed(1)} MB/s, peak RSS ${result.peakRssMB.all.toFixed(0)} MB`,
          );
        } finally {
          await database.drop();
        }
      }
      if (!keep) await rm(file.path, { force: true });
    }
  } finally {
    await databases.close();
    if (!keep) await removeFiles();
  }
  report(runs, ceilings, databases.postgres, keep ? dir : undefined, log);
}

async function coreRun(
  args: BenchArgs,
  dialect: Dialect,
  databaseUrl: string,
  sizeMB: number,
  file: GeneratedFile,
  log: LogChoice,
  client: { chunkBytes: number; windowBytes: number },
): Promise<CoreRun> {
  const core = await startCoreChild({ databaseUrl, profileDir: args.profileDir });
  const rss = new RssSampler(core);
  const idleRssMB = rss.sample();
  const options =
    client.windowBytes > 0
      ? {
          "grpc-node.flow_control_window": client.windowBytes,
          "grpc.max_receive_message_length": 64 * 1024 * 1024,
        }
      : {};
  const datasets = new DatasetServiceClient(core.address, credentials.createInsecure(), options);
  const projects = new ProjectServiceClient(core.address, credentials.createInsecure());
  let trainingDataAt: ((at: number) => void) | undefined;
  const trained = new Promise<number>((resolve) => {
    trainingDataAt = resolve;
  });
  const plugin = new BenchPlugin({
    address: core.address,
    key: "bench-datasets",
    counters: newCounters(),
    instant: false,
    onTrainingData: () => trainingDataAt?.(performance.now()),
  });
  try {
    await plugin.registered;
    rss.phase("upload");
    let cpu = core.cpuSeconds();
    let clientCpu = process.cpuUsage();
    let started = performance.now();
    const datasetId = await upload(datasets, file, client.chunkBytes, `events.${log.format}`);
    const uploadSeconds = (performance.now() - started) / 1000;
    const uploadCpu = core.cpuSeconds() - cpu;
    const uploadClientCpu = cpuSecondsSince(clientCpu);

    rss.phase("preprocess");
    cpu = core.cpuSeconds();
    started = performance.now();
    const definition = log.definition ? benchDefinition : undefined;
    const project = await createProject(projects, datasetId, definition);
    const done = await preprocessed(projects, project.id, trained);
    const preprocessSeconds = (done.at - started) / 1000;
    const preprocessCpu = core.cpuSeconds() - cpu;
    const dataset = done.project.dataset;
    if (!dataset) throw new Error(`preprocessing failed: ${done.project.error}`);

    rss.phase("download");
    cpu = core.cpuSeconds();
    clientCpu = process.cpuUsage();
    started = performance.now();
    const trainingBytes = await download(datasets, dataset.trainingDfName);
    const downloadSeconds = (performance.now() - started) / 1000;
    const downloadCpu = core.cpuSeconds() - cpu;
    const downloadClientCpu = cpuSecondsSince(clientCpu);
    rss.phase("end");
    const logged = core.logLines.find((line) => line.includes('"dataset preprocessed"'));
    const loggedFields = logged ? (JSON.parse(logged) as LoggedPreprocessing) : {};
    return {
      ...log,
      dialect,
      sizeMB,
      bytes: file.bytes,
      rows: dataset.rows,
      uploadMBps: file.bytes / 1e6 / uploadSeconds,
      preprocessMBps: file.bytes / 1e6 / preprocessSeconds,
      preprocessCoreMs: loggedFields.ms,
      preprocessPath: preprocessPath(loggedFields),
      positiveCases: dataset.positiveCases,
      treatedCases: dataset.treatedCases,
      downloadMBps: trainingBytes / 1e6 / downloadSeconds,
      trainingBytes,
      coreCpuMBps: {
        upload: file.bytes / 1e6 / uploadCpu,
        preprocess: file.bytes / 1e6 / preprocessCpu,
        download: trainingBytes / 1e6 / downloadCpu,
      },
      clientCpuMBps: {
        upload: file.bytes / 1e6 / uploadClientCpu,
        download: trainingBytes / 1e6 / downloadClientCpu,
      },
      loadAverage: loadavg()[0] as number,
      idleRssMB,
      peakRssMB: rss.peaks(),
    };
  } finally {
    rss.stop();
    plugin.close();
    datasets.close();
    projects.close();
    await core.stop();
  }
}

/** The fields of the core's "dataset preprocessed" line the report shows. */
interface LoggedPreprocessing {
  readonly ms?: number;
  readonly worker?: boolean;
  readonly inMemory?: boolean;
  readonly grouped?: boolean;
}

function preprocessPath(logged: LoggedPreprocessing): string {
  const where = logged.worker ? "worker" : logged.inMemory ? "in memory" : "streamed";
  if (logged.grouped === undefined) return where;
  return `${where}, ${logged.grouped ? "grouped on disk" : "not grouped"}`;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function report(
  runs: readonly CoreRun[],
  ceilings: readonly (Pass & { sizeMB: number; pass: string })[],
  postgres: string | undefined,
  keptIn: string | undefined,
  log: LogChoice,
): void {
  const scanner = (sizeMB: number) =>
    ceilings.find((c) => c.sizeMB === sizeMB && c.pass === "scanner alone")?.mbPerSecond ?? 0;
  const smallest = (dialect: Dialect) =>
    runs.filter((r) => r.dialect === dialect).sort((a, b) => a.sizeMB - b.sizeMB)[0];
  const rows = runs.map((r) => ({
    database: r.dialect,
    "size MB": r.sizeMB,
    "stored MB": r.bytes / 1e6,
    rows: r.rows,
    path: r.preprocessPath,
    "positive / treated cases": r.definition ? `${r.positiveCases} / ${r.treatedCases}` : "–",
    "upload MB/s": r.uploadMBps,
    "upload MB/cpu-s": r.coreCpuMBps.upload,
    "preprocess MB/s": r.preprocessMBps,
    "preprocess MB/cpu-s": r.coreCpuMBps.preprocess,
    "core-logged s": r.preprocessCoreMs === undefined ? "" : r.preprocessCoreMs / 1000,
    // Without the in-process passes (--no-passes) there is no scanner rate to compare with.
    "scanner MB/s": scanner(r.sizeMB) || "–",
    "pipeline/scanner": scanner(r.sizeMB) ? r.preprocessMBps / scanner(r.sizeMB) : "–",
    "download MB/s": r.downloadMBps,
    "download MB/cpu-s": r.coreCpuMBps.download,
    "idle RSS MB": r.idleRssMB,
    "peak RSS MB": r.peakRssMB.all,
    "growth vs smallest MB": r.peakRssMB.all - (smallest(r.dialect)?.peakRssMB.all ?? 0),
    load: r.loadAverage,
  }));
  const shape = log.interleaved ? "interleaved CSV logs" : "CSV logs";
  const what = `${log.format === "xes" ? "XES twins" : shape}, ${log.definition ? "with" : "without"} a definition`;
  printTable(
    `datasets through the core, ${what} (MB = 10^6 bytes; rates over the stored file)`,
    rows,
  );
  printTable(
    "in-process passes over the same files (no store, no gRPC)",
    ceilings.map((c) => ({
      "size MB": c.sizeMB,
      pass: c.pass,
      "MB read": c.bytes / 1e6,
      records: c.records,
      "MB/s": c.mbPerSecond,
      "MB/cpu-s": c.mbPerCpuSecond,
    })),
  );
  console.log(
    `\ntargets: preprocess ≥ ${targets.preprocessMBps} MB/s, upload and download ≥ ${targets.transferMBps} MB/s, peak RSS growth 10 MB → 1 GB < ${targets.rssGrowthMB} MB`,
  );
  if (keptIn) console.log(`files kept in ${keptIn}`);
  writeResults("datasets", { postgres, log, targets, runs, ceilings });
}
