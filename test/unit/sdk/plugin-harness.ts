/** Starts SDK plugins against a FakeCore for the unit tests (not a test file). */
import { Writable } from "node:stream";
import { pino } from "pino";
import { type RunPluginOptions, runPlugin } from "../../../src/sdk/index.js";
import type { FakeCore } from "./fake-core.js";

export const identity = {
  id: "test-plugin",
  name: "Test plugin",
  type: "next-activity",
  description: "a plugin under test",
  parameters: { k: 3 },
};

export interface RunningPlugin {
  readonly done: Promise<void>;
  readonly controller: AbortController;
  /** Log records, parsed (level debug and up). */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the `count`-th log record with message `msg` (at once if already logged). */
  logged(msg: string, count?: number): Promise<Record<string, unknown>>;
  /** Aborts and waits for `runPlugin` to resolve. */
  stop(): Promise<void>;
}

export function startPlugin(
  core: FakeCore,
  options: Partial<RunPluginOptions> = {},
): RunningPlugin {
  const controller = new AbortController();
  const logs: Record<string, unknown>[] = [];
  const watchers = new Set<() => void>();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split("\n")) if (line) logs.push(JSON.parse(line));
      for (const watcher of watchers) watcher();
      callback();
    },
  });
  const logged = (msg: string, count = 1, timeoutMs = 5_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = logs.filter((l) => l.msg === msg)[count - 1];
        if (!found) return;
        watchers.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`"${msg}" was not logged ${count} time(s) within ${timeoutMs} ms`));
      }, timeoutMs);
      watchers.add(check);
      check();
    });
  const done = runPlugin({
    address: core.address,
    report: identity,
    reconnect: { initialDelayMs: 10, maxDelayMs: 80 },
    signal: controller.signal,
    logger: pino({ level: "debug" }, sink),
    onTrainingData: async (job, ctx) => {
      await ctx.accept();
      await ctx.started();
      await ctx.trained(`model-${job.pluginId}`);
    },
    ...options,
  });
  return {
    done,
    controller,
    logs,
    logged,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}
