/**
 * The core killed with SIGKILL while a 1,000-case prescription job runs, on SQLite and
 * PostgreSQL. Two plugin keys with two SDK instances each, every instance a child process
 * (test/fixtures/prescribing-plugin). Once both keys' requests are a quarter answered, the core
 * is killed, then the instance answering the first key's request, and the core restarts on the
 * same port and database. The other instance of that key takes the request over (it answers it
 * all again; stored cases keep their prescription); the second key's instance reconnects and
 * re-sends the parts that were not acked. The job ends DONE with exactly one prescription per
 * case and plugin, through ListPrescriptions and in the stored rows.
 *
 * (A plugin that never answers ends TIMED_OUT with the job still DONE: prescription-delivery.)
 */
import { credentials } from "@grpc/grpc-js";
import { afterEach, expect, it } from "vitest";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { type CoreProcess, spawnCore } from "../helpers/core-process.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  freePort,
  type TestDatabase,
} from "../helpers/databases.js";
import { PluginProcess } from "../helpers/plugin-process.js";
import {
  expectEveryCaseOnce,
  inferredDefinition,
  jobFinished,
  jobsClientAt,
  retryUnavailable,
  runningCasesCsv,
  trainingCsv,
} from "../helpers/prescription-checks.js";
import { prescribe } from "../helpers/prescription-jobs.js";
import { createProject, listPlugins, watchToEnd } from "../helpers/projects.js";

const keys = ["crash-rx-a", "crash-rx-b"];
const cases = 1000;
const env = {
  CORE_SHUTDOWN_GRACE_MS: "0",
  CORE_ONLINE_INQUIRY_INTERVAL_MS: "1000",
  // A lease held by the killed instance is offered again soon.
  CORE_DELIVERY_LEASE_MS: "3000",
};

describeEachDialect("a prescription job through kill -9", (dialect) => {
  let database: TestDatabase | undefined;
  let core: CoreProcess | undefined;
  let plugins: PluginProcess[] = [];
  const closing: { close(): void }[] = [];

  afterEach(async () => {
    await Promise.all(plugins.map((p) => p.stop()));
    plugins = [];
    for (const client of closing.splice(0)) client.close();
    if (core && core.child.exitCode === null && core.child.signalCode === null) {
      core.child.kill("SIGKILL");
      await core.exited;
    }
    await database?.drop();
  });

  it("finishes DONE with every case answered once per plugin", async () => {
    database = await createTestDatabaseUrl(dialect);
    const port = await freePort();
    core = await spawnCore(database.url, port, env);
    const address = core.address;
    const projects = new ProjectServiceClient(address, credentials.createInsecure());
    const jobs = jobsClientAt(address);
    closing.push(projects, jobs);

    plugins = keys.flatMap((key) =>
      [0, 1].map(
        () =>
          new PluginProcess({
            addresses: [address],
            key,
            partSize: 50,
            pauseEvery: 25,
            pauseMs: 30,
          }),
      ),
    );
    await expect
      .poll(
        async () =>
          Object.fromEntries(
            (await listPlugins(projects)).plugins.map((p) => [p.key, p.instances]),
          ),
        { timeout: 30_000, interval: 100 },
      )
      .toEqual({ [keys[0] as string]: 2, [keys[1] as string]: 2 });

    const project = await createProject(projects, {
      datasetCsv: trainingCsv(),
      holdoutFraction: 0,
      pluginKeys: keys,
      definition: inferredDefinition,
    });
    expect((await watchToEnd(projects, project.id)).at(-1)?.projectStatus).toBe(
      ProjectStatus.PROJECT_STATUS_TRAINED,
    );

    const running = runningCasesCsv(cases);
    const job = await prescribe(jobs, { projectId: project.id, datasetCsv: running.csv });

    // Both keys' requests a quarter answered: the kill lands mid-job.
    const quarter = (p: PluginProcess) =>
      p.waitFor((e) => e.event === "progress" && (e.answered ?? 0) >= cases / 4);
    const answering = await Promise.all(
      keys.map((key) =>
        Promise.any(plugins.filter((p) => p.key === key).map(quarter)).then(() => key),
      ),
    );
    expect(answering).toEqual(keys);
    core.child.kill("SIGKILL");
    expect(await core.exited).toBe("SIGKILL");
    const victim = plugins.find(
      (p) => p.key === keys[0] && p.events.some((e) => e.event === "delivered"),
    ) as PluginProcess;
    await victim.kill();
    // It was killed before it finished: its request must be taken over.
    expect(victim.events.filter((e) => e.event === "answered")).toEqual([]);

    core = await spawnCore(database.url, port, env);
    const finished = await jobFinished(jobs, job.jobId);
    await expectEveryCaseOnce(jobs, database.url, finished, keys, running);

    // The killed instance's sibling answered the request it left.
    const sibling = plugins.find((p) => p.key === keys[0] && p !== victim) as PluginProcess;
    expect(sibling.events.some((e) => e.event === "delivered")).toBe(true);
    // Results stay readable however often they are read.
    const again = await retryUnavailable(() => jobFinished(jobs, job.jobId));
    expect(again.status).toBe(finished.status);
  }, 150_000);
});
