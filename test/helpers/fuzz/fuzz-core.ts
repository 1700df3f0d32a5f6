// One core for all the tests of a describe, as a long-lived core sees many plugins: the fuzz
// keys known to it, and a health client to ask whether it still serves.
import { credentials } from "@grpc/grpc-js";
import { afterAll, beforeAll } from "vitest";
import { HealthClient } from "../../../src/gen/grpc/health/v1/health.js";
import { startTestCore, type TestCore } from "../core.js";
import { createTestDatabaseUrl, type Dialect, type TestDatabase } from "../databases.js";
import { TestPlugin } from "../plugin-client.js";
import { keys, maxDatasetBytes } from "./settings.js";

export interface FuzzCore {
  readonly core: TestCore;
  readonly database: TestDatabase;
  readonly health: HealthClient;
}

/** Registers the hooks that start the core before the describe's tests and stop it after. */
export function fuzzCorePerDescribe(dialect: Dialect): FuzzCore {
  let database: TestDatabase | undefined;
  let core: TestCore | undefined;
  let health: HealthClient | undefined;
  beforeAll(async () => {
    database = await createTestDatabaseUrl(dialect);
    core = await startTestCore(database.url, { maxDatasetBytes });
    health = new HealthClient(core.address, credentials.createInsecure());
    // A key becomes known (and may be targeted by projects) when it first connects.
    for (const key of keys) (await TestPlugin.connect(core.address, key)).close();
  });
  afterAll(async () => {
    health?.close();
    await core?.stop();
    await database?.drop();
    [database, core, health] = [undefined, undefined, undefined];
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the fuzz core exists only while its describe runs");
    return value;
  };
  return {
    get core() {
      return started(core);
    },
    get database() {
      return started(database);
    },
    get health() {
      return started(health);
    },
  };
}

/** The health service's status of the whole server. */
export function servingStatus(health: HealthClient): Promise<number> {
  return new Promise((resolve, reject) => {
    health.check({ service: "" }, (error, response) =>
      error ? reject(error) : resolve(response.status),
    );
  });
}
