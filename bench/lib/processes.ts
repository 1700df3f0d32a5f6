/**
 * Child processes of a benchmark: the core (`node dist/main.js`, built once) and load
 * generators forked from a TypeScript script. Every child is killed when the benchmark ends,
 * however it ends.
 */
import { type ChildProcess, execFileSync, fork, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { repoRoot } from "./report.js";

const children = new Set<ChildProcess>();
const killAll = () => {
  for (const child of children) child.kill("SIGKILL");
};
process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

let built = false;

/** `npm run build`, once per benchmark process. */
export function buildOnce(): void {
  if (built) return;
  built = true;
  try {
    execFileSync("npm", ["run", "build", "--silent"], { cwd: repoRoot, stdio: "pipe" });
  } catch (error) {
    const output = String((error as { stdout?: Buffer }).stdout ?? "");
    if (!existsSync(`${repoRoot}dist/main.js`)) throw error;
    console.warn(
      `warning: the build reported errors; running the emitted dist/ anyway\n${output.slice(0, 2000)}`,
    );
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface CoreChild {
  readonly pid: number;
  readonly address: string;
  readonly metricsUrl: string;
  readonly logLines: string[];
  /** Resident set size now, in KiB (from /proc). */
  rssKb(): number;
  /** CPU seconds (user + system) used so far (from /proc). */
  cpuSeconds(): number;
  /** GET /metrics. */
  scrape(): Promise<string>;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export interface CoreChildOptions {
  readonly databaseUrl: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Write a V8 CPU profile of the core into this directory. */
  readonly profileDir?: string;
}

/** `BENCH_CORE_DIST`: run another build of the core (e.g. before a change); default dist/. */
const coreDist = process.env.BENCH_CORE_DIST;

export async function startCoreChild(options: CoreChildOptions): Promise<CoreChild> {
  if (!coreDist) buildOnce();
  const [port, metricsPort] = [await freePort(), await freePort()];
  const execArgv = options.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`] : [];
  const child = track(
    spawn(
      "bash",
      [
        "-c",
        `ulimit -n $(ulimit -Hn) && exec "$0" "$@"`,
        process.execPath,
        ...execArgv,
        `${coreDist ?? "dist"}/main.js`,
      ],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          CORE_ADDRESS: `127.0.0.1:${port}`,
          CORE_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
          CORE_DATABASE_URL: options.databaseUrl,
          CORE_LOG_LEVEL: "info",
          ...options.env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    ),
  );
  const logLines: string[] = [];
  const keep = (line: string) => {
    if (logLines.length < 200 || !line.includes('"level":30')) logLines.push(line);
    if (logLines.length > 2000) logLines.splice(200, 1000);
  };
  const exited = once(child, "exit");
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      keep(line);
      if (line.includes('"training core serving"')) resolve();
    });
    child.stderr?.on("data", (chunk: Buffer) => keep(chunk.toString()));
    exited.then(([code]) => reject(new Error(`core exited (${code}):\n${logLines.join("\n")}`)));
  });
  const pid = child.pid as number;
  let stopping = false;
  child.once("exit", (code, signal) => {
    if (stopping) return;
    console.error(`core exited unexpectedly (${code ?? signal}); its last lines:`);
    console.error(logLines.slice(-30).join("\n"));
  });
  return {
    pid,
    address: `127.0.0.1:${port}`,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    logLines,
    rssKb: () => {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
    },
    cpuSeconds: () => cpuSecondsOf(pid),
    scrape: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const clockTicks = 100;

function procStat(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  } catch {
    return []; // gone
  }
}

/** CPU seconds (user + system, all threads) a process has used so far; 0 once it is gone. */
export function cpuSecondsOf(pid: number): number {
  const fields = procStat(pid);
  return fields.length > 12 ? (Number(fields[11]) + Number(fields[12])) / clockTicks : 0;
}

/**
 * CPU seconds of a process and its live children, plus the children it has reaped (a server
 * such as PostgreSQL's postmaster, whose backends come and go).
 */
export function processTreeCpuSeconds(rootPid: number): number {
  const root = procStat(rootPid);
  if (root.length < 15) return 0;
  let ticks = Number(root[11]) + Number(root[12]) + Number(root[13]) + Number(root[14]);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = procStat(Number(entry));
    if (Number(fields[1]) === rootPid) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / clockTicks;
}

export interface Worker<Out> {
  readonly child: ChildProcess;
  /** Resolves with the next message of `type` from the worker. */
  next<T extends Out>(type: string, timeoutMs?: number): Promise<T>;
  send(message: unknown): void;
  kill(): void;
}

/** Forks `bench/lib/<script>` (TypeScript, through tsx) with a message channel. */
export function forkWorker<Out extends { type: string }>(
  script: string,
  args: string[] = [],
  execArgv: string[] = [],
): Worker<Out> {
  const child = track(
    fork(`${repoRoot}bench/lib/${script}`, args, {
      cwd: repoRoot,
      execArgv: ["--import", "tsx", ...execArgv],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  const inbox: Out[] = [];
  const waiters: (() => void)[] = [];
  child.on("message", (message) => {
    inbox.push(message as Out);
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = once(child, "exit");
  return {
    child,
    async next<T extends Out>(type: string, timeoutMs = 120_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = inbox.findIndex((m) => m.type === type);
        if (index >= 0) return inbox.splice(index, 1)[0] as T;
        if (child.exitCode !== null) throw new Error(`worker ${script} exited (${child.exitCode})`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`worker ${script}: no "${type}" within ${timeoutMs} ms`);
        await Promise.race([
          new Promise<void>((resolve) => waiters.push(resolve)),
          new Promise<void>((resolve) => setTimeout(resolve, Math.min(left, 1000))),
          exited.then(() => undefined),
        ]);
      }
    },
    send: (message) => child.send(message as never),
    kill: () => child.kill("SIGKILL"),
  };
}

/** Sum of one series of the Prometheus text format over every label set matching `labels`. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? "").split(",");
    if (wanted.every((pair) => present.includes(pair))) total += Number(match[3]);
  }
  return total;
}
