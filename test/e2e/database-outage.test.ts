import { type ClientReadableStream, credentials, Metadata, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type HealthCheckResponse,
  HealthClient,
  HealthCheckResponse_ServingStatus as Serving,
} from "../../src/gen/grpc/health/v1/health.js";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { AsyncQueue } from "../helpers/async-queue.js";
import { type CoreProcess, spawnCore } from "../helpers/core-process.js";
import { freePort } from "../helpers/databases.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import { type Cluster, findPostgresBindir, startCluster } from "../helpers/postgres-cluster.js";
import { createProject, failureOf, getProject, watchToEnd } from "../helpers/projects.js";

const bindir = findPostgresBindir();

/** Health statuses as the server announces them (Watch sends every change). */
function watchHealth(client: HealthClient): {
  statuses: AsyncQueue<Serving>;
  stream: ClientReadableStream<HealthCheckResponse>;
} {
  const statuses = new AsyncQueue<Serving>();
  const stream = client.watch({ service: "" }, new Metadata());
  stream.on("data", (response: HealthCheckResponse) => statuses.push(response.status));
  stream.on("error", () => {});
  return { statuses, stream };
}

async function until(statuses: AsyncQueue<Serving>, wanted: Serving): Promise<void> {
  for (;;) if ((await statuses.next(20_000)) === wanted) return;
}

// Its own PostgreSQL server: this test stops and starts it, which the shared one must not see.
describe.skipIf(!bindir)("a PostgreSQL restart mid-workflow", () => {
  let cluster: Cluster;
  let core: CoreProcess;

  beforeAll(async () => {
    cluster = await startCluster(bindir as string, true);
    core = await spawnCore(cluster.url, await freePort());
  });

  afterAll(async () => {
    core?.child.kill("SIGKILL");
    await core?.exited;
    await cluster?.stop();
  });

  it("serves NOT_SERVING and UNAVAILABLE while the database is gone, then recovers, losing nothing acked", {
    timeout: 60_000,
  }, async () => {
    const health = new HealthClient(core.address, credentials.createInsecure());
    const projects = new ProjectServiceClient(core.address, credentials.createInsecure());
    const { statuses, stream } = watchHealth(health);
    await until(statuses, Serving.SERVING);
    const plugin = await TestPlugin.connect(core.address, "a");
    const project = await createProject(projects, { pluginKeys: ["a"] });
    const td = await plugin.trainingData.next();
    expect((await plugin.dataReport(td)).code).toBe(status.OK);

    await cluster.shutDownServer();
    await until(statuses, Serving.NOT_SERVING);
    expect((await failureOf(getProject(projects, project.id))).code).toBe(status.UNAVAILABLE);
    const refused = await plugin.trainingStart(td);
    expect(refused.code).toBe(status.UNAVAILABLE);

    await cluster.startServer();
    await until(statuses, Serving.SERVING);
    expect((await plugin.trainingStart(td)).code).toBe(status.OK);
    expect((await plugin.modelName(td)).code).toBe(status.OK);
    await watchToEnd(projects, project.id);
    const done = await getProject(projects, project.id);
    expect(done.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(core.child.exitCode).toBeNull(); // still running: nothing crashed

    stream.cancel();
    plugin.close();
    health.close();
    projects.close();
  });
});
