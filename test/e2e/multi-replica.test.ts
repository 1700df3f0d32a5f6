/**
 * Three core replicas (child processes) on one PostgreSQL database. Six SDK plugin instances
 * (three keys) are given every replica's address and spread over them; projects are created
 * through a random replica and watched through another. Midway, the replica holding the most
 * plugin sessions is killed with SIGKILL: its plugins reconnect to the others, its work is taken
 * over, and every project still reaches TRAINED, each preprocessed exactly once.
 */
import { credentials, type ServiceError, status } from "@grpc/grpc-js";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { runPlugin } from "../../src/sdk/index.js";
import { type CoreProcess, spawnCore } from "../helpers/core-process.js";
import {
  createTestDatabaseUrl,
  dialects,
  freePort,
  type TestDatabase,
} from "../helpers/databases.js";
import { checkStoredInvariants } from "../helpers/invariants.js";
import { createProjectRequest, listPlugins, watchToEnd } from "../helpers/projects.js";

const keys = ["replica-a", "replica-b", "replica-c"];
const instancesPerKey = 2;
const projectsBeforeKill = 6;
const projectsAfterKill = 6;
/** As spawnCore sets it. */
const replicaTtlMs = 2000;

describe.skipIf(!dialects.includes("postgres"))("three replicas on one PostgreSQL", () => {
  let database: TestDatabase | undefined;
  const cores: CoreProcess[] = [];
  const clients: ProjectServiceClient[] = [];
  const stopPlugins = new AbortController();
  const plugins: Promise<void>[] = [];

  afterEach(async () => {
    stopPlugins.abort();
    await Promise.allSettled(plugins);
    for (const client of clients) client.close();
    for (const core of cores) core.child.kill("SIGKILL");
    await Promise.all(cores.map((core) => core.exited));
    await database?.drop();
  });

  it("finishes every project when one of three replicas is killed midway", async () => {
    database = await createTestDatabaseUrl("postgres");
    const url = database.url;
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    cores.push(
      ...(await Promise.all(
        ports.map((port) => spawnCore(url, port, { CORE_ONLINE_INQUIRY_INTERVAL_MS: "1000" })),
      )),
    );
    const addresses = cores.map((core) => core.address);
    for (const address of addresses) {
      clients.push(new ProjectServiceClient(address, credentials.createInsecure()));
    }
    const alive = new Set([0, 1, 2]);

    const trainedBy = new Map<number, string[]>();
    for (const key of keys) {
      for (let instance = 0; instance < instancesPerKey; instance++) {
        plugins.push(
          runPlugin({
            address: addresses,
            report: { id: key, name: key, type: "test", description: "multi-replica e2e" },
            reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
            signal: stopPlugins.signal,
            onTrainingData: async (job, ctx) => {
              await ctx.accept();
              await ctx.started();
              // Slow enough that the kill finds work in flight.
              await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 350));
              await ctx.trained(`${key}-${job.projectId}`);
              trainedBy.set(job.projectId, [...(trainedBy.get(job.projectId) ?? []), key]);
            },
          }),
        );
      }
    }

    // Every replica sees every instance, wherever it is connected (sessions table).
    for (const client of clients) {
      await eventually(async () => {
        const { plugins: listed } = await listPlugins(client);
        const counts = Object.fromEntries(listed.map((p) => [p.key, p.instances]));
        expect(counts).toEqual(Object.fromEntries(keys.map((key) => [key, instancesPerKey])));
      });
    }

    const randomAlive = () => {
      const indexes = [...alive];
      return indexes[Math.floor(Math.random() * indexes.length)] as number;
    };
    const projectIds: number[] = [];
    const create = async (i: number) => {
      for (;;) {
        const replica = randomAlive();
        try {
          const response = await new Promise<{ project?: { id: number } }>((resolve, reject) =>
            (clients[replica] as ProjectServiceClient).createProject(
              createProjectRequest({ name: `p${i}`, pluginKeys: keys, requestId: `multi-${i}` }),
              (error, value) => (error ? reject(error) : resolve(value)),
            ),
          );
          projectIds.push(response.project?.id as number);
          return;
        } catch (error) {
          if ((error as ServiceError).code !== status.UNAVAILABLE) throw error;
        }
      }
    };

    // A watcher on one replica, for a project created on another, started before the kill.
    await create(0);
    const watchedId = projectIds[0] as number;
    // Settled at once, so that its end is handled whenever it comes (it may be the victim's).
    const watchedEvents = watchToEnd(clients[2] as ProjectServiceClient, watchedId).then(
      (events) => ({ events, error: undefined }),
      (error: ServiceError) => ({ events: [], error }),
    );
    for (let i = 1; i < projectsBeforeKill; i++) await create(i);

    // Kill the replica with the most plugin instances (its plugins must move).
    const [busiest, held] = [...(await countSessionsByAddress(url)).entries()].sort(
      (a, b) => b[1] - a[1],
    )[0] ?? ["", 0];
    expect(held).toBeGreaterThanOrEqual(2);
    const victim = Math.max(0, addresses.indexOf(busiest ?? (addresses[0] as string)));
    const victimReplicaId = await replicaIdAt(url, addresses[victim] as string);
    alive.delete(victim);
    (cores[victim] as CoreProcess).child.kill("SIGKILL");
    await (cores[victim] as CoreProcess).exited;

    for (let i = projectsBeforeKill; i < projectsBeforeKill + projectsAfterKill; i++) {
      await create(i);
    }

    // Every project ends TRAINED, watched through a surviving replica.
    const survivors = [...alive];
    for (const [n, projectId] of projectIds.entries()) {
      const client = clients[survivors[n % survivors.length] as number] as ProjectServiceClient;
      const events = await watchToEnd(client, projectId);
      expect(events.at(-1)?.projectStatus, `project ${projectId}`).toBe(
        ProjectStatus.PROJECT_STATUS_TRAINED,
      );
    }

    // The early watcher saw exactly what the table holds, in order, without gaps.
    const outcome = await watchedEvents;
    let watched = outcome.events;
    if (outcome.error) {
      // It was connected to the killed replica: then watch again from the start elsewhere.
      expect(victim).toBe(2);
      expect(outcome.error.code).toBe(status.UNAVAILABLE);
      watched = await watchToEnd(
        clients[survivors[0] as number] as ProjectServiceClient,
        watchedId,
      );
    }
    expect(watched.map((event) => event.eventId)).toEqual(await storedEventIds(url, watchedId));
    expect(watched.at(-1)?.projectStatus).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);

    // Preprocessing ran once per project, across all replicas' logs: no project twice, and a
    // project without a line was recorded by the victim, killed between its commit and its log.
    const preprocessed = cores
      .flatMap((core) => core.logLines)
      .filter((line) => line.includes('"dataset preprocessed"'))
      .map((line) => (JSON.parse(line) as { projectId: number }).projectId);
    expect(new Set(preprocessed).size, "a project preprocessed twice").toBe(preprocessed.length);
    for (const projectId of projectIds.filter((id) => !preprocessed.includes(id))) {
      expect(await preprocessedBy(url, projectId), `project ${projectId}`).toBe(victimReplicaId);
    }
    expect(projectIds).toEqual(expect.arrayContaining(preprocessed));

    expect(await checkStoredInvariants(url)).toEqual([]);

    // The dead replica's sessions stop counting; its plugins are back on the survivors.
    await eventually(async () => {
      const { plugins: listed } = await listPlugins(
        clients[survivors[0] as number] as ProjectServiceClient,
      );
      const counts = Object.fromEntries(listed.map((p) => [p.key, p.instances]));
      expect(counts).toEqual(Object.fromEntries(keys.map((key) => [key, instancesPerKey])));
      const byReplica = await countSessionsByAddress(url);
      expect(byReplica.has(addresses[victim] as string)).toBe(false);
    });
    for (const projectId of projectIds) {
      expect(new Set(trainedBy.get(projectId))).toEqual(new Set(keys));
    }
  }, 120_000);
});

/** Plugin sessions per live replica's address, from the shared table. */
async function countSessionsByAddress(url: string): Promise<Map<string, number>> {
  return withClient(url, async (client) => {
    const result = await client.query<{ address: string; sessions: string }>(
      `SELECT r.address, count(*) AS sessions FROM plugin_sessions s
       JOIN replicas r ON r.id = s.replica_id WHERE r.heartbeat_ms > $1 GROUP BY r.address`,
      [Date.now() - replicaTtlMs],
    );
    return new Map(result.rows.map((row) => [row.address, Number(row.sessions)]));
  });
}

/** The id of the live replica serving `address`. */
async function replicaIdAt(url: string, address: string): Promise<string> {
  return withClient(url, async (client) => {
    const result = await client.query<{ id: string }>(
      "SELECT id FROM replicas WHERE address = $1 ORDER BY heartbeat_ms DESC LIMIT 1",
      [address],
    );
    return result.rows[0]?.id ?? "";
  });
}

/** The replica that claimed (and, once preprocessed, recorded) a project's preprocessing. */
async function preprocessedBy(url: string, projectId: number): Promise<string | null> {
  return withClient(url, async (client) => {
    const result = await client.query<{ preprocessing_replica: string | null }>(
      "SELECT preprocessing_replica FROM projects WHERE id = $1 AND preprocessed_ms IS NOT NULL",
      [projectId],
    );
    return result.rows[0]?.preprocessing_replica ?? null;
  });
}

async function storedEventIds(url: string, projectId: number): Promise<number[]> {
  return withClient(url, async (client) => {
    const result = await client.query<{ id: string }>(
      "SELECT id FROM events WHERE project_id = $1 ORDER BY id",
      [projectId],
    );
    return result.rows.map((row) => Number(row.id));
  });
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Retries `check` until it passes: what it checks is refreshed by the replicas' heartbeats,
 * which no event of ours announces.
 */
async function eventually(check: () => Promise<void>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
