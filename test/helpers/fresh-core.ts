// A fresh database and a real core on it for each test of the enclosing describe, and the
// plugins and clients the test opened closed after it.
import { afterEach, beforeEach } from "vitest";
import { startTestCore, type TestCore, type TestCoreOptions } from "./core.js";
import { createTestDatabaseUrl, type Dialect, type TestDatabase } from "./databases.js";
import { TestPlugin } from "./plugin-client.js";

/** Anything the test opened that must be closed after it: a plugin, a gRPC client, a stream. */
export interface Closeable {
  close(): unknown;
}

export interface FreshCoreOptions extends TestCoreOptions {
  /** The test starts the core itself, with `start()` and the options it needs (default: false). */
  readonly deferStart?: boolean;
}

export interface FreshCore {
  /** The current test's core (started before it unless `deferStart`, stopped after it). */
  readonly core: TestCore;
  /** The current test's database (dropped after it). */
  readonly database: TestDatabase;
  /**
   * Starts a core on the test's database, after stopping the one running if any: for tests that
   * choose the core's options (default: those given to freshCorePerTest), or restart it.
   */
  start(options?: TestCoreOptions): Promise<TestCore>;
  /** Connects and registers a plugin on the current core; it is closed after the test. */
  connect(key: string, options?: Parameters<typeof TestPlugin.connect>[2]): Promise<TestPlugin>;
  /**
   * Closes `closeable` after the test, before the core stops; the last tracked is closed first.
   * Returns it.
   */
  track<T extends Closeable>(closeable: T): T;
}

/**
 * Registers the hooks that create a database of `dialect` and start a core on it before each
 * test, and close what the test tracked, stop the core and drop the database after; call it
 * inside a describe, before its other hooks.
 */
export function freshCorePerTest(dialect: Dialect, options: FreshCoreOptions = {}): FreshCore {
  const { deferStart, ...coreOptions } = options;
  let database: TestDatabase | undefined;
  let core: TestCore | undefined;
  const tracked: Closeable[] = [];

  const current = <T>(value: T | undefined, missing: string): T => {
    if (value === undefined) throw new Error(missing);
    return value;
  };
  const noDatabase = "the database exists only while a test runs";
  const noCore = deferStart
    ? "no core yet: this describe's tests start it with start()"
    : "the core exists only while a test runs";

  const start = async (startOptions: TestCoreOptions = coreOptions): Promise<TestCore> => {
    const url = current(database, noDatabase).url;
    await core?.stop();
    core = undefined;
    core = await startTestCore(url, startOptions);
    return core;
  };

  beforeEach(async () => {
    database = await createTestDatabaseUrl(dialect);
    if (!deferStart) await start();
  });

  afterEach(async () => {
    const ended = { database, core };
    database = undefined;
    core = undefined;
    try {
      await closeInReverse(tracked.splice(0));
    } finally {
      try {
        await ended.core?.stop();
      } finally {
        await ended.database?.drop();
      }
    }
  });

  return {
    get core() {
      return current(core, noCore);
    },
    get database() {
      return current(database, noDatabase);
    },
    start,
    async connect(key, connectOptions) {
      const address = current(core, noCore).address;
      const plugin = await TestPlugin.connect(address, key, connectOptions);
      tracked.push(plugin);
      return plugin;
    },
    track(closeable) {
      tracked.push(closeable);
      return closeable;
    },
  };
}

/** Closes the last opened first, each one even when another throws; rethrows the first error. */
async function closeInReverse(closeables: readonly Closeable[]): Promise<void> {
  const errors: unknown[] = [];
  for (const closeable of [...closeables].reverse()) {
    try {
      await closeable.close();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length > 0) throw errors[0];
}
