/** What every benchmark prints and stores: the machine, a table, and bench/results/<name>.json. */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import Table from "cli-table3";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface Machine {
  readonly nproc: number;
  readonly cpu: string;
  readonly memory: string;
  readonly node: string;
  /** 1, 5 and 15 minute load averages when measured: other work on the machine skews results. */
  readonly loadAverage: string;
}

export function machine(): Machine {
  let memory = `${(totalmem() / 2 ** 30).toFixed(1)} GiB`;
  try {
    const free = execFileSync("free", ["-h"], { encoding: "utf8" });
    const line = free.split("\n").find((l) => l.startsWith("Mem:"));
    if (line) memory = `total ${line.split(/\s+/)[1]}, available ${line.split(/\s+/)[6]}`;
  } catch {
    // no procps: keep os.totalmem()
  }
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    memory,
    node: process.version,
    loadAverage: loadavg()
      .map((l) => l.toFixed(2))
      .join(" "),
  };
}

const startMachine = machine();

export function describeMachine(m: Machine): string {
  return `${m.nproc} CPUs (${m.cpu}), memory ${m.memory}, node ${m.node}, load average ${m.loadAverage}`;
}

/** Prints rows as a table; the first row's keys are the columns. */
export function printTable(title: string, rows: readonly Record<string, unknown>[]): void {
  const first = rows[0];
  if (!first) return;
  const head = Object.keys(first);
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(head.map((h) => format(row[h])));
  console.log(`\n${title}\n${table.toString()}`);
}

function format(value: unknown): string {
  if (typeof value === "number") {
    if (Number.isInteger(value)) return value.toLocaleString("en-US");
    return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(3);
  }
  return value === undefined || value === null ? "" : String(value);
}

/** Writes bench/results/<name>.json with the machine description. */
export function writeResults(name: string, results: unknown): string {
  const dir = `${repoRoot}bench/results`;
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/${name}.json`;
  const document = {
    benchmark: name,
    date: new Date().toISOString(),
    machineBefore: startMachine,
    machineAfter: machine(),
    results,
  };
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
  console.log(`\nwrote ${path}`);
  return path;
}

/** The p-th percentile (0–100) of samples, nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function summary(samplesMs: readonly number[]) {
  return {
    n: samplesMs.length,
    p50: percentile(samplesMs, 50),
    p90: percentile(samplesMs, 90),
    p99: percentile(samplesMs, 99),
    max: percentile(samplesMs, 100),
  };
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}
