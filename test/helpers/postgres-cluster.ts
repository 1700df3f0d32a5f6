// A throwaway PostgreSQL cluster in a temporary directory (initdb + pg_ctl), listening on
// 127.0.0.1 on a free port with trust auth; used by the vitest global setup and by tests that
// need a server of their own (e.g. to stop and restart it).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { appendFile, chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const START_TIMEOUT_SECONDS = 30;
const START_ATTEMPTS = 3;

export interface Cluster {
  url: string;
  /** Stops the server and removes its files. */
  stop: () => Promise<void>;
  /** Stops the server with a fast shutdown, keeping its files (for restart tests). */
  shutDownServer: () => Promise<void>;
  /** Starts the server again on the same port. */
  startServer: () => Promise<void>;
  /** The postmaster's process id while the server runs (from postmaster.pid). */
  serverPid: () => number | undefined;
}

function hasServerBinaries(dir: string): boolean {
  return ["initdb", "pg_ctl", "postgres"].every((bin) => existsSync(join(dir, bin)));
}

/** The bin directory of the PostgreSQL server, preferring `pg_config`, then the newest Debian install. */
export function findPostgresBindir(): string | null {
  try {
    const dir = execFileSync("pg_config", ["--bindir"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    if (dir && hasServerBinaries(dir)) return dir;
  } catch {
    // pg_config not installed: fall back to the Debian layout.
  }
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  for (const version of versions) {
    const dir = join(root, version, "bin");
    if (hasServerBinaries(dir)) return dir;
  }
  return null;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a PostgreSQL binary, as the `postgres` user when we are root (initdb refuses root). */
function runPg(
  asRoot: boolean,
  cwd: string,
  bin: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<RunResult> {
  const [command, argv] = asRoot
    ? ["runuser", ["-u", "postgres", "--", bin, ...args]]
    : [bin, args];
  return new Promise((resolve) => {
    // stdout/stderr go to pipes that are closed when the command itself exits: pg_ctl's
    // postmaster logs to a file (-l), so it never holds them open.
    const child = spawn(command, argv, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}${error.message}\n` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export async function startCluster(bindir: string, quiet = false): Promise<Cluster> {
  const started = performance.now();
  const asRoot = process.getuid?.() === 0;
  const base = await mkdtemp(join(tmpdir(), "training-core-pg-"));
  const dataDir = join(base, "data");
  const logFile = join(base, "postgres.log");
  const pgCtl = join(bindir, "pg_ctl");
  let running = false;

  const stopSync = () => {
    if (running) {
      const [command, argv] = asRoot
        ? [
            "runuser",
            ["-u", "postgres", "--", pgCtl, "stop", "-D", dataDir, "-m", "immediate", "-w"],
          ]
        : [pgCtl, ["stop", "-D", dataDir, "-m", "immediate", "-w"]];
      spawnSync(command, argv, { cwd: base, stdio: "ignore", timeout: 30_000 });
      running = false;
    }
  };
  // Last resort if the process exits without running the teardown (e.g. a crash in vitest).
  const onExit = () => {
    stopSync();
    spawnSync("rm", ["-rf", base], { stdio: "ignore" });
  };
  process.once("exit", onExit);

  const stop = async () => {
    process.removeListener("exit", onExit);
    if (running) {
      const result = await runPg(asRoot, base, pgCtl, [
        "stop",
        "-D",
        dataDir,
        "-m",
        "immediate",
        "-w",
      ]);
      if (result.code !== 0) stopSync();
      running = false;
    }
    await rm(base, { recursive: true, force: true });
  };

  try {
    if (asRoot) {
      const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
      const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
      await chown(base, uid, gid);
    }

    const init = await runPg(asRoot, base, join(bindir, "initdb"), [
      "-D",
      dataDir,
      "-U",
      "postgres",
      "--auth=trust",
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
      "--no-instructions",
    ]);
    if (init.code !== 0) throw new Error(`initdb failed (exit ${init.code}):\n${init.output}`);

    // Settings go into postgresql.conf rather than `pg_ctl -o`, which passes them through a shell.
    // initdb --auth=trust already trusts local sockets and host 127.0.0.1/32 and ::1/128.
    const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;
    await appendFile(
      join(dataDir, "postgresql.conf"),
      [
        "",
        "# training-core test cluster (test/helpers/global-setup.ts)",
        "listen_addresses = '127.0.0.1'",
        `unix_socket_directories = ${quote(base)}`,
        "max_connections = 300",
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        // Parallel query needs dynamic shared memory, which containers often have little of.
        "max_parallel_workers_per_gather = 0",
        "",
      ].join("\n"),
    );

    const startOnPort = (port: number) =>
      runPg(
        asRoot,
        base,
        pgCtl,
        [
          "start",
          "-D",
          dataDir,
          "-l",
          logFile,
          "-w",
          "-t",
          String(START_TIMEOUT_SECONDS),
          "-o",
          `-p ${port}`,
        ],
        (START_TIMEOUT_SECONDS + 10) * 1000,
      );
    let port = 0;
    for (let attempt = 1; ; attempt++) {
      // The port is only known to be free when picked; another process may grab it before the
      // postmaster binds it, in which case start fails and we retry with a new one.
      port = await freePort();
      const start = await startOnPort(port);
      // Even a failed `pg_ctl start` may have left a postmaster behind (e.g. on timeout).
      running = true;
      if (start.code === 0) break;
      stopSync();
      const log = (await readFile(logFile, "utf8").catch(() => "")).slice(-4000);
      if (attempt >= START_ATTEMPTS) {
        throw new Error(
          `pg_ctl start failed (exit ${start.code}):\n${start.output}\n--- postgres.log ---\n${log}`,
        );
      }
    }

    const version = execFileSync(join(bindir, "postgres"), ["--version"], { encoding: "utf8" });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    if (!quiet)
      console.log(
        `[global-setup] ${version.trim()} started on 127.0.0.1:${port} in ${seconds}s (${base})`,
      );
    const shutDownServer = async () => {
      const result = await runPg(asRoot, base, pgCtl, ["stop", "-D", dataDir, "-m", "fast", "-w"]);
      if (result.code !== 0) throw new Error(`pg_ctl stop failed:\n${result.output}`);
      running = false;
    };
    const startServer = async () => {
      const result = await startOnPort(port);
      running = true;
      if (result.code !== 0) throw new Error(`pg_ctl start failed:\n${result.output}`);
    };
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop,
      shutDownServer,
      startServer,
      serverPid: () => {
        if (!running) return undefined;
        const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
        return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
