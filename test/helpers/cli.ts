/**
 * Runs the `training-core` CLI from source as a child process (`node --import tsx
 * src/cli/main.ts …`), with a bounded lifetime, and collects its output.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const cliEntry = "src/cli/main.ts";

export interface CliResult {
  /** The exit code; null when the process was killed by a signal. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Set as CORE_ADDRESS; by default the variable is removed from the child's environment. */
  readonly address?: string;
  /** Extra environment variables. */
  readonly env?: Record<string, string>;
  /** The process is killed (and the result rejected) after this long. */
  readonly timeoutMs?: number;
}

export interface RunningCli {
  readonly child: ChildProcess;
  /** Resolves once the process exited, with everything it printed. */
  readonly done: Promise<CliResult>;
}

/** The child's environment: the test's own, without CORE_ADDRESS unless given. */
export function cliEnv(options: CliOptions = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.CORE_ADDRESS;
  if (options.address !== undefined) env.CORE_ADDRESS = options.address;
  return env;
}

/** Starts `training-core <args>` and returns at once. */
export function startCli(args: readonly string[], options: CliOptions = {}): RunningCli {
  const child = spawn(process.execPath, ["--import", "tsx", cliEntry, ...args], {
    cwd: repoRoot,
    env: cliEnv(options),
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { child, done: collect(child, `training-core ${args.join(" ")}`, options.timeoutMs) };
}

/** Runs `training-core <args>` to its end. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Collects a child's output until it exits; kills it and rejects once `timeoutMs` passed. */
export function collect(
  child: ChildProcess,
  description: string,
  timeoutMs = 30_000,
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `${description} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The non-empty lines of a text. */
export function linesOf(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "");
}

export interface TerminalCli extends RunningCli {
  /** Types Ctrl-C on the terminal: the CLI gets SIGINT, as from a person. */
  interrupt(): void;
}

/**
 * Starts `training-core <args>` on a pseudo-terminal of `columns` × `rows` (util-linux
 * `script`), so that its stdout is a TTY; `stdout` is what the terminal received (the CLI's
 * stdout and stderr, with the terminal's own `\r\n` line ends and echo).
 */
export function startCliOnTerminal(
  args: readonly string[],
  size: { columns: number; rows: number },
  options: CliOptions = {},
): TerminalCli {
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, "--import", "tsx", cliEntry, ...args].map(quote).join(" ");
  const child = spawn(
    "script",
    ["-qefc", `stty rows ${size.rows} cols ${size.columns} && exec ${command}`, "/dev/null"],
    { cwd: repoRoot, env: cliEnv(options), stdio: ["pipe", "pipe", "pipe"] },
  );
  return {
    child,
    done: collect(child, `training-core ${args.join(" ")} (on a terminal)`, options.timeoutMs),
    interrupt: () => child.stdin?.write("\x03"),
  };
}
