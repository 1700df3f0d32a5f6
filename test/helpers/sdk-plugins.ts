/**
 * TypeScript SDK plugins (and the next-activity example built on it) run in-process against a
 * test's core, stopped after the test; and the logs and definitions their tests share.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { beforeEach } from "vitest";
import { startNextActivityPlugin } from "../../examples/plugins/next-activity/plugin.js";
import {
  ColumnDefinition,
  type EventLogDefinition,
  Operator,
} from "../../src/gen/trainingcore/v1/definition.js";
import { type RunPluginOptions, runPlugin } from "../../src/sdk/index.js";
import { AsyncQueue } from "./async-queue.js";
import type { FreshCore } from "./fresh-core.js";
import { TestPlugin } from "./plugin-client.js";

export const fastReconnect = { initialDelayMs: 20, maxDelayMs: 200 };

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A pino logger whose records can be awaited by message. */
export function recordingLogger() {
  const records = new AsyncQueue<Record<string, unknown>>();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split("\n")) if (line) records.push(JSON.parse(line));
      callback();
    },
  });
  return {
    logger: pino({ level: "debug" }, sink),
    async waitFor(match: (record: Record<string, unknown>) => boolean, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const record = await records.next(Math.max(1, deadline - Date.now()));
        if (match(record)) return record;
      }
    },
  };
}

/** A log whose column names nothing guesses: only its definition says what they are. */
export const ticketLog = [
  "ticket,step,at,agent",
  "t1,open,2024-01-01T10:00:00+02:00,ann",
  "t2,open,2024-01-02T10:00:00Z,bob",
  "t1,close,2024-01-01T09:30:00Z,ann", // after "open" (08:00 UTC), though listed later
  "t2,escalate,2024-01-02T11:00:00Z,bob",
  "t2,close,2024-01-02T12:00:00Z,cid",
  "",
].join("\n");

/** Names the ticket log's columns; a case is negative when it was escalated. */
export const ticketDefinition: EventLogDefinition = {
  columns: {
    ticket: ColumnDefinition.COLUMN_DEFINITION_CASE_ID,
    step: ColumnDefinition.COLUMN_DEFINITION_ACTIVITY,
    at: ColumnDefinition.COLUMN_DEFINITION_TIMESTAMP,
  },
  caseAttributes: [],
  positiveOutcome: undefined,
  negativeOutcome: {
    anyOf: [
      {
        conditions: [{ column: "step", operator: Operator.OPERATOR_EQUAL, value: "escalate" }],
      },
    ],
  },
  treatment: undefined,
};

export interface SdkPlugins {
  /** The current test's model directory (removed after it). */
  readonly modelDir: string;
  /** Stops a running plugin after the test (and waits until it has). */
  stopAfterTest(controller: AbortController, done: Promise<void>): void;
  /** A plugin key must be known to the core before a project can name it. */
  makeKnown(key: string): Promise<void>;
  /** Runs an SDK plugin on the current core until the test ends. */
  start(options: Omit<RunPluginOptions, "address" | "signal">): void;
  /** Starts the next-activity example (plugin key `plugin-next-activity`). */
  startExample(): Promise<string>;
}

/**
 * Registers the hook that gives each test of the enclosing describe a fresh model directory,
 * and returns what starts SDK plugins on `env`'s core; call it after freshCorePerTest.
 */
export function sdkPluginsPerTest(env: FreshCore): SdkPlugins {
  let modelDir: string | undefined;

  beforeEach(async () => {
    const dir = await mkdtemp(join(tmpdir(), "training-core-models-"));
    modelDir = dir;
    // Tracked first, so removed last: after the plugins that write to it have stopped.
    env.track({ close: () => rm(dir, { recursive: true, force: true }) });
  });

  const currentModelDir = (): string => {
    if (modelDir === undefined) throw new Error("the model directory exists only in a test");
    return modelDir;
  };

  function stopAfterTest(controller: AbortController, done: Promise<void>): void {
    env.track({
      close: () => {
        controller.abort();
        return done;
      },
    });
  }

  async function makeKnown(key: string): Promise<void> {
    const plugin = await TestPlugin.connect(env.core.address, key);
    plugin.close();
    await plugin.ended;
  }

  return {
    get modelDir() {
      return currentModelDir();
    },
    stopAfterTest,
    makeKnown,
    start(options) {
      const controller = new AbortController();
      const done = runPlugin({
        address: env.core.address,
        reconnect: fastReconnect,
        signal: controller.signal,
        ...options,
      });
      stopAfterTest(controller, done);
    },
    async startExample() {
      const key = "plugin-next-activity";
      await makeKnown(key);
      const controller = new AbortController();
      const done = startNextActivityPlugin({
        address: env.core.address,
        modelDir: currentModelDir(),
        signal: controller.signal,
        reconnect: fastReconnect,
      });
      stopAfterTest(controller, done);
      return key;
    },
  };
}

/** The identity an SDK test plugin reports under `key`. */
export function identity(key: string) {
  return { id: key, name: `SDK plugin ${key}`, type: "test", description: "e2e" };
}
