/**
 * Prescription jobs across three core replicas (child processes) on one PostgreSQL database.
 * Two plugin keys × two SDK instances (child processes) are given replicas B and C; C starts
 * only once every instance is connected to B, so all streams are on B.
 *
 * Job 1 is created on replica A, answered by the plugins on B, watched (WatchPrescriptionJob)
 * and listed on C. Job 2 is created on A and watched there; once both keys' requests are a
 * quarter answered, B is killed with SIGKILL: the plugins move to C, and the job still ends DONE
 * with every case answered exactly once per plugin.
 */
import { credentials } from "@grpc/grpc-js";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { JobStatus } from "../../src/gen/trainingcore/v1/prescription_service.js";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { type CoreProcess, spawnCore } from "../helpers/core-process.js";
import {
  createTestDatabaseUrl,
  dialects,
  freePort,
  type TestDatabase,
} from "../helpers/databases.js";
import { PluginProcess } from "../helpers/plugin-process.js";
import {
  expectEveryCaseOnce,
  inferredDefinition,
  jobFinished,
  jobsClientAt,
  runningCasesCsv,
  trainingCsv,
} from "../helpers/prescription-checks.js";
import { prescribe, watchJob } from "../helpers/prescription-jobs.js";
import { createProject, listPlugins, watchToEnd } from "../helpers/projects.js";

const keys = ["replica-rx-a", "replica-rx-b"];
const cases = 1000;
/** As spawnCore sets it. */
const replicaTtlMs = 2000;
const env = {
  CORE_ONLINE_INQUIRY_INTERVAL_MS: "1000",
  // A request leased through the killed replica is offered again soon.
  CORE_DELIVERY_LEASE_MS: "3000",
};

describe.skipIf(!dialects.includes("postgres"))("prescriptions on three replicas", () => {
  let database: TestDatabase | undefined;
  const cores: CoreProcess[] = [];
  let plugins: PluginProcess[] = [];
  const closing: { close(): void }[] = [];

  afterEach(async () => {
    await Promise.all(plugins.map((p) => p.stop()));
    plugins = [];
    for (const client of closing.splice(0)) client.close();
    for (const core of cores) core.child.kill("SIGKILL");
    await Promise.all(cores.map((core) => core.exited));
    await database?.drop();
  });

  it("runs a job created, answered and watched on different replicas, and one whose plugins' replica is killed", async () => {
    database = await createTestDatabaseUrl("postgres");
    const url = database.url;
    const [portA, portB, portC] = await Promise.all([freePort(), freePort(), freePort()]);
    const [a, b] = await Promise.all([
      spawnCore(url, portA as number, env),
      spawnCore(url, portB as number, env),
    ]);
    cores.push(a, b);
    const addressC = `127.0.0.1:${portC}`;

    // Every instance lands on B: C is not listening yet, so one that tried C moved on to B.
    plugins = keys.flatMap((key) =>
      [0, 1].map(
        () =>
          new PluginProcess({
            addresses: [b.address, addressC],
            key,
            partSize: 50,
            pauseEvery: 25,
            pauseMs: 30,
          }),
      ),
    );
    await eventually(async () => {
      expect(await sessionsByAddress(url)).toEqual(new Map([[b.address, plugins.length]]));
    });
    const c = await spawnCore(url, portC as number, env);
    cores.push(c);

    const projectsA = new ProjectServiceClient(a.address, credentials.createInsecure());
    const jobsA = jobsClientAt(a.address);
    const jobsC = jobsClientAt(c.address);
    closing.push(projectsA, jobsA, jobsC);
    await eventually(async () => {
      const listed = await listPlugins(projectsA);
      expect(Object.fromEntries(listed.plugins.map((p) => [p.key, p.instances]))).toEqual(
        Object.fromEntries(keys.map((key) => [key, 2])),
      );
    });
    const project = await createProject(projectsA, {
      datasetCsv: trainingCsv(),
      holdoutFraction: 0,
      pluginKeys: keys,
      definition: inferredDefinition,
    });
    expect((await watchToEnd(projectsA, project.id)).at(-1)?.projectStatus).toBe(
      ProjectStatus.PROJECT_STATUS_TRAINED,
    );

    // -- Job 1: created on A, answered through B, watched and listed on C.
    const running = runningCasesCsv(cases);
    const first = await prescribe(jobsA, { projectId: project.id, datasetCsv: running.csv });
    const watched = await watchJob(jobsC, first.jobId);
    expect(watched.error).toBeUndefined();
    const last = watched.jobs.at(-1);
    expect(last?.status).toBe(JobStatus.JOB_STATUS_DONE);
    // The watch followed the answers: cases_done only grew, and it saw some before the end.
    const progress = watched.jobs.map((job) =>
      job.plugins.reduce((n, p) => n + Number(p.casesDone), 0),
    );
    expect([...progress].sort((x, y) => x - y)).toEqual(progress);
    expect(watched.jobs.length).toBeGreaterThan(2);
    await expectEveryCaseOnce(jobsC, url, last as NonNullable<typeof last>, keys, running);
    expect(await sessionsByAddress(url)).toEqual(new Map([[b.address, plugins.length]]));
    const firstRequests = new Set(
      plugins.flatMap((p) => p.events.flatMap((e) => (e.requestId ? [e.requestId] : []))),
    );
    expect(firstRequests.size).toBe(keys.length);

    // -- Job 2: B, which holds every plugin stream, is killed mid-job.
    const second = await prescribe(jobsA, {
      projectId: project.id,
      datasetCsv: running.csv,
      requestId: "second",
    });
    const watching = watchJob(jobsA, second.jobId);
    const answeredBefore = (e: { event: string; requestId?: string }) =>
      e.requestId !== undefined && firstRequests.has(e.requestId);
    const ofSecond = (e: { event: string; requestId?: string }) =>
      e.requestId !== undefined && !answeredBefore(e);
    await Promise.all(
      keys.map((key) =>
        Promise.any(
          plugins
            .filter((p) => p.key === key)
            .map((p) =>
              p.waitFor(
                (e) => ofSecond(e) && e.event === "progress" && (e.answered ?? 0) >= cases / 4,
              ),
            ),
        ),
      ),
    );
    b.child.kill("SIGKILL");
    expect(await b.exited).toBe("SIGKILL");
    // Killed mid-job: no request of job 2 was answered in full yet.
    expect(
      plugins.flatMap((p) => p.events).filter((e) => ofSecond(e) && e.event === "answered"),
    ).toEqual([]);

    const finished = await jobFinished(jobsC, second.jobId);
    await expectEveryCaseOnce(jobsC, url, finished, keys, running);
    const watchedSecond = await watching;
    expect(watchedSecond.error).toBeUndefined();
    expect(watchedSecond.jobs.at(-1)?.status).toBe(JobStatus.JOB_STATUS_DONE);
    // The plugins are on C now.
    await eventually(async () => {
      expect(await sessionsByAddress(url)).toEqual(new Map([[c.address, plugins.length]]));
    });
  }, 150_000);
});

/** Plugin sessions per live replica's address, from the shared table. */
async function sessionsByAddress(url: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ address: string; sessions: string }>(
      `SELECT r.address, count(*) AS sessions FROM plugin_sessions s
       JOIN replicas r ON r.id = s.replica_id WHERE r.heartbeat_ms > $1 GROUP BY r.address`,
      [Date.now() - replicaTtlMs],
    );
    return new Map(result.rows.map((row) => [row.address, Number(row.sessions)]));
  } finally {
    await client.end();
  }
}

/** Retries `check` until it passes: heartbeats and reconnections are announced by no event. */
async function eventually(check: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
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
