/**
 * Replicas in one test process: work handed between replicas, preprocessing taken over from
 * a replica that died, one replica sweeping deadlines at a time, and a project deleted on one
 * replica while watched and worked on through the other.
 */
import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PluginStatus, ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { openStore, type Store } from "../../src/store/connect.js";
import { beatReplica } from "../../src/store/sql/replicas.js";
import { startTestCore, type TestCore } from "../helpers/core.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  dialects,
  type TestDatabase,
} from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import { createProject, getProject, listPlugins, watchToEnd } from "../helpers/projects.js";

const replicaTtlMs = 1000;
/** The advisory lock key of the deadline sweeps (src/core.ts). */
const sweepLockKey = 0x7c0e_5eed;

/** Leaves `projectId` as a crash during preprocessing on replica `owner` would. */
async function unpreprocess(store: Store, projectId: number, owner: string): Promise<void> {
  await store.db("events").where({ project_id: projectId }).whereNotNull("membership_id").delete();
  await store.db("memberships").where({ project_id: projectId }).delete();
  await store.db("projects").where({ id: projectId }).update({
    preprocessed_ms: null,
    training_blob_id: null,
    holdout_blob_id: null,
    preprocessing_replica: owner,
  });
}

describeEachDialect("preprocessing claimed by a replica that died", (dialect) => {
  const env = freshCorePerTest(dialect, { replicaTtlMs });

  it("is taken over once the dead replica's heartbeat is older than the TTL", async () => {
    const plugin = await env.connect("a");
    plugin.close();
    const project = await createProject(env.core.projects, { pluginKeys: ["a"] });
    await env.core.core.preprocessingIdle();
    await env.core.stop();
    const store = await openStore(env.database.url);
    const lastBeatMs = Date.now();
    try {
      await unpreprocess(store, project.id, "ghost");
      await beatReplica(store.db, {
        id: "ghost",
        address: "",
        started_ms: lastBeatMs,
        heartbeat_ms: lastBeatMs,
      });
    } finally {
      await store.close();
    }

    const core = await env.start();
    const waiting = await firstWaitingEvent(core, project.id);
    if (dialect === "sqlite") {
      // The only replica there can be: the ghost is a crashed predecessor, taken over at once.
      expect(waiting.createdMs).toBeLessThan(lastBeatMs + replicaTtlMs);
    } else {
      // Another replica may still be alive: wait for its heartbeat to age past the TTL.
      expect(waiting.createdMs).toBeGreaterThanOrEqual(lastBeatMs + replicaTtlMs);
    }
    const stored = await getProject(core.projects, project.id);
    expect(stored.dataset?.rows).toBe(5);
    expect(stored.plugins.map((p) => p.status)).toEqual([PluginStatus.PLUGIN_STATUS_WAITING]);
  });
});

/** Waits for the event that made the project's membership WAITING (end of preprocessing). */
async function firstWaitingEvent(core: TestCore, projectId: number) {
  return new Promise<{ createdMs: number }>((resolve, reject) => {
    const stream = core.projects.watchProject({ projectId, afterEventId: 0 });
    stream.on("data", (response: { event?: { pluginStatus: number; time?: Date } }) => {
      if (response.event?.pluginStatus === PluginStatus.PLUGIN_STATUS_WAITING) {
        resolve({ createdMs: response.event.time?.getTime() ?? Number.NaN });
        stream.cancel();
      }
    });
    stream.on("error", (error: { code: number }) => {
      if (error.code !== 1) reject(error);
    });
  });
}

describe.skipIf(!dialects.includes("postgres"))("two replicas in one process [postgres]", () => {
  let database: TestDatabase;
  let first: TestCore;
  let second: TestCore;

  beforeEach(async () => {
    database = await createTestDatabaseUrl("postgres");
    first = await startTestCore(database.url, { replicaTtlMs });
    second = await startTestCore(database.url, {
      replicaTtlMs,
      timeouts: { dataReportMs: 300, trainingStartMs: 60_000, trainingMs: 60_000 },
    });
  });
  afterEach(async () => {
    await first.stop();
    await second.stop();
    await database.drop();
  });

  it("hands a project created on one replica to a plugin on the other, and both see it", async () => {
    const plugin = await TestPlugin.connect(second.address, "far");
    const project = await createProject(first.projects, { pluginKeys: ["far"] });
    const watching = watchToEnd(first.projects, project.id);
    const data = await plugin.trainingData.next();
    expect(data.projectId).toBe(project.id);
    await plugin.dataReport(data);
    await plugin.trainingStart(data);
    await plugin.modelName(data, "far.model");
    const events = await watching;
    expect(events.at(-1)?.projectStatus).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    // The instance on the second replica counts on the first (its heartbeat publishes it).
    await instancesSeenBy(first, "far", 1);
    // ... and stops counting once it disconnected.
    plugin.close();
    await instancesSeenBy(first, "far", 0);
  });

  it("deletes a project on one replica: the other's watch ends NOT_FOUND and its plugin is told", async () => {
    const plugin = await TestPlugin.connect(second.address, "far");
    const project = await createProject(first.projects, { pluginKeys: ["far"] });
    const data = await plugin.trainingData.next();
    const watched = watchToEnd(second.projects, project.id).then(
      () => undefined,
      (error: { code: number }) => error,
    );
    await new Promise<void>((resolve, reject) =>
      first.projects.deleteProject({ projectId: project.id }, (error) =>
        error ? reject(error) : resolve(),
      ),
    );
    expect((await watched)?.code).toBe(status.NOT_FOUND);
    expect(await plugin.dataReport(data)).toMatchObject({
      code: status.FAILED_PRECONDITION,
      message: `project ${project.id} was deleted`,
    });
    plugin.close();
  });

  it("sweeps deadlines on one replica only, and on the other once the first is gone", async () => {
    expect(await sweepLockHolders(database.url)).toBe(1);
    await first.stop();
    // The survivor takes the lock at its next sweep; poll the lock table, not a clock.
    while ((await sweepLockHolders(database.url)) !== 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const plugin = await TestPlugin.connect(second.address, "late");
    const project = await createProject(second.projects, { pluginKeys: ["late"] });
    await plugin.trainingData.next(); // never answered: the 300 ms DataReport deadline passes
    const events = await watchToEnd(second.projects, project.id);
    expect(events.at(-1)?.projectStatus).toBe(ProjectStatus.PROJECT_STATUS_ERROR);
    plugin.close();
    first = await startTestCore(database.url, { replicaTtlMs });
  });
});

/** Waits until `core` counts `instances` online instances of `key` (heartbeats refresh it). */
async function instancesSeenBy(core: TestCore, key: string, instances: number): Promise<void> {
  for (;;) {
    const listed = (await listPlugins(core.projects)).plugins.find((p) => p.key === key);
    if (listed?.instances === instances) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function sweepLockHolders(url: string): Promise<number> {
  const store = await openStore(url);
  try {
    // pg_locks covers the whole cluster: count only this test's database (other test files run
    // their own cores, with the same lock key, on other databases of the cluster at once).
    const rows = await store
      .db("pg_locks")
      .count({ n: "*" })
      .where({ locktype: "advisory", objid: sweepLockKey, granted: true })
      .andWhereRaw("database = (SELECT oid FROM pg_database WHERE datname = current_database())");
    return Number(rows[0]?.n);
  } finally {
    await store.close();
  }
}
