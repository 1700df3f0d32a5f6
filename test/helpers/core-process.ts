/** The core as a child process (`src/main.ts` through tsx), for signal and crash tests. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface CoreProcess {
  readonly child: ChildProcess;
  readonly address: string;
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
  readonly logLines: string[];
}

export async function spawnCore(
  databaseUrl: string,
  port: number,
  env: NodeJS.ProcessEnv = {},
): Promise<CoreProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: repoRoot,
    env: {
      ...process.env,
      CORE_ADDRESS: `127.0.0.1:${port}`,
      CORE_DATABASE_URL: databaseUrl,
      CORE_LOG_LEVEL: "info",
      // Short, so a replica killed with SIGKILL is taken over quickly.
      CORE_REPLICA_TTL_MS: "2000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logLines: string[] = [];
  const exited = once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string);
  const serving = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      logLines.push(line);
      if (line.includes('"training core serving"')) resolve();
    });
    exited.then((code) =>
      reject(new Error(`core exited (${code}) before serving:\n${logLines.join("\n")}`)),
    );
  });
  child.stderr?.on("data", (chunk: Buffer) => logLines.push(chunk.toString()));
  await serving;
  return { child, address: `127.0.0.1:${port}`, exited, logLines };
}
