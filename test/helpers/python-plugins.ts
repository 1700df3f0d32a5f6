/**
 * The Python example plugins (examples/python) as child processes of a test: whether this
 * machine can run them, starting them against a core, waiting until they are online, and
 * reading the models they write.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { beforeAll, beforeEach, it } from "vitest";
import { startNextActivityPlugin } from "../../examples/plugins/next-activity/plugin.js";
import type { TestCore } from "./core.js";
import type { FreshCore } from "./fresh-core.js";
import { listPlugins } from "./projects.js";

export const python = "/usr/bin/python3";
export const exampleDir = fileURLToPath(new URL("../../examples/python/", import.meta.url));
export const receiptPath = fileURLToPath(
  new URL("../../../shared/data/receipt.csv", import.meta.url),
);
export const pythonKey = "plugin-python-next-activity";
export const alarmKey = "plugin-python-alarm";
export const typescriptKey = "plugin-next-activity";
export const testTimeoutMs = 60_000;

export function succeeds(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: "ignore", timeout: 30_000 }).status === 0;
}

/** Why the Python plugin cannot run here, or undefined when it can. */
function missingPythonToolchain(): string | undefined {
  if (!succeeds(python, ["-c", "import grpc, google.protobuf"])) {
    return `${python} cannot import grpc (apt-get install python3-grpcio python3-protobuf)`;
  }
  return undefined;
}

export const noPython = missingPythonToolchain();
export const noReceipt = existsSync(receiptPath) ? undefined : `${receiptPath} is missing`;
for (const reason of [noPython, noReceipt]) {
  if (reason) console.warn(`[polyglot] skipping Python plugin tests: ${reason}`);
}

/** `it`, skipped with the reason in the test's name when one is given. */
export function itUnless(reason: string | undefined, name: string, fn: () => Promise<void>): void {
  it.skipIf(reason !== undefined)(
    reason ? `${name} (skipped: ${reason})` : name,
    fn,
    testTimeoutMs,
  );
}

/**
 * `it`, skipped with the reason in its name when `reason` says what this machine lacks, except
 * on CI (CI set), which must run it: there the missing package fails the test.
 */
export function itOrFailOnCi(
  reason: string | undefined,
  name: string,
  fn: () => Promise<void>,
  timeoutMs = testTimeoutMs,
): void {
  if (reason && process.env.CI) {
    it(name, () => {
      throw new Error(`CI must run this test: ${reason}`);
    });
  } else {
    it.skipIf(reason !== undefined)(reason ? `${name} (skipped: ${reason})` : name, fn, timeoutMs);
  }
}

/** Checks, once before the file's tests, that the examples find the SDK (sdk/python). */
export function generateStubsBeforeAll(): void {
  beforeAll(() => {
    if (noPython) return;
    const checked = spawnSync(python, ["-c", "import common"], {
      cwd: exampleDir,
      encoding: "utf8",
      timeout: 60_000,
    });
    if (checked.status !== 0)
      throw new Error(`the examples cannot import the SDK:\n${checked.stderr}`);
  });
}

/** Every Python child still running, killed when this process exits whatever happens. */
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/** The Python example plugin as a child process, with its stderr lines. */
export class PythonPlugin {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly child: ChildProcess,
    env: Record<string, string>,
  ) {
    children.add(child);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        children.delete(child);
        this.lines.push(`[exited with ${signal ?? code}]`);
        this.notify();
        resolve(code);
      });
    });
    if (child.stderr) {
      createInterface({ input: child.stderr }).on("line", (line) => {
        this.lines.push(line);
        this.notify();
      });
    }
    this.lines.push(`[started ${JSON.stringify(env)}]`);
  }

  /** Runs examples/python/run.sh (which execs /usr/bin/python3 plugin.py or alarm.py). */
  static start(
    address: string,
    modelDir: string,
    plugin: "next-activity" | "alarm" = "next-activity",
  ): PythonPlugin {
    const key = plugin === "alarm" ? alarmKey : pythonKey;
    const env = { CORE_ADDRESS: address, MODEL_DIR: modelDir, PLUGIN_KEY: key };
    const child = spawn("bash", [join(exampleDir, "run.sh"), plugin], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    return new PythonPlugin(child, env);
  }

  get log(): string {
    return this.lines.join("\n");
  }

  /** Resolves when `count` stderr lines matched `pattern`; rejects on exit or timeout. */
  waitForLines(pattern: RegExp, count = 1, timeoutMs = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.lines.filter((line) => pattern.test(line)).length >= count) {
          done();
          resolve();
        } else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          done();
          reject(new Error(`the Python plugin exited before logging ${pattern}:\n${this.log}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${count}× ${pattern} in ${timeoutMs} ms:\n${this.log}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 5_000): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
      try {
        return await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exited;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** Polls ListPlugins (there is no event to await across processes) until every key is online. */
export async function waitUntilOnline(
  core: TestCore,
  keys: string[],
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const online = new Set(
      (await listPlugins(core.projects)).plugins.filter((p) => p.online).map((p) => p.key),
    );
    if (keys.every((key) => online.has(key))) return;
    if (Date.now() > deadline) {
      throw new Error(`not online after ${timeoutMs} ms: ${keys.filter((k) => !online.has(k))}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A next-activity model file, as both the Python and the TypeScript example write it. */
export interface ModelFile {
  cases: number;
  events: number;
  start: Record<string, number>;
  next: Record<string, Record<string, number>>;
}

export async function readModel(dir: string, name: string): Promise<ModelFile> {
  return JSON.parse(await readFile(join(dir, name), "utf8")) as ModelFile;
}

export interface PolyglotPlugins {
  /** The current test's model directory: `python/` and `typescript/` below it. */
  readonly modelRoot: string;
  /** Starts a Python example plugin on the current core; it is stopped after the test. */
  startPython(kind?: "next-activity" | "alarm"): PythonPlugin;
  /** Starts the TypeScript next-activity example in-process; it is stopped after the test. */
  startTypeScript(): void;
}

/**
 * Registers the hook that gives each test of the enclosing describe a fresh model directory on
 * `env`'s core; call it after freshCorePerTest.
 */
export function polyglotPluginsPerTest(env: FreshCore): PolyglotPlugins {
  let modelRoot: string | undefined;

  beforeEach(async () => {
    const root = await mkdtemp(join(tmpdir(), "training-core-polyglot-"));
    modelRoot = root;
    // Tracked first, so removed last: after the plugins that write to it have stopped.
    env.track({ close: () => rm(root, { recursive: true, force: true }) });
  });

  const currentRoot = (): string => {
    if (modelRoot === undefined) throw new Error("the model directory exists only in a test");
    return modelRoot;
  };

  return {
    get modelRoot() {
      return currentRoot();
    },
    startPython(kind = "next-activity") {
      const plugin = PythonPlugin.start(env.core.address, join(currentRoot(), "python"), kind);
      env.track({ close: () => plugin.stop() });
      return plugin;
    },
    startTypeScript() {
      const abort = new AbortController();
      const running = startNextActivityPlugin({
        address: env.core.address,
        modelDir: join(currentRoot(), "typescript"),
        signal: abort.signal,
      });
      env.track({
        close: () => {
          abort.abort();
          return running;
        },
      });
    },
  };
}
