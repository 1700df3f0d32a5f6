import { readFileSync } from "node:fs";
import { credentials } from "@grpc/grpc-js";
import { afterEach, beforeEach, expect, it } from "vitest";
import { DatasetServiceClient } from "../../src/gen/trainingcore/v1/dataset_service.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { type CoreProcess, spawnCore } from "../helpers/core-process.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  freePort,
  type TestDatabase,
} from "../helpers/databases.js";
import { syntheticEventLog, upload } from "../helpers/datasets.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import { createProject, getProject } from "../helpers/projects.js";

const fileBytes = 50 * 1024 * 1024;
/** Generous: the core idles at ~80 MB; what matters is that it does not hold the file. */
const rssBoundBytes = 300 * 1024 * 1024;

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kb) * 1024;
}

describeEachDialect("a 50 MB dataset", (dialect) => {
  let database: TestDatabase;
  let core: CoreProcess;

  beforeEach(async () => {
    database = await createTestDatabaseUrl(dialect);
    core = await spawnCore(database.url, await freePort(), {});
  });

  afterEach(async () => {
    core.child.kill("SIGKILL");
    await core.exited;
    await database.drop();
  });

  it("is uploaded and preprocessed with the core's memory bounded", {
    timeout: 120_000,
  }, async () => {
    const pid = core.child.pid as number;
    let peak = rssOf(pid);
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(pid));
    }, 50);
    const datasets = new DatasetServiceClient(core.address, credentials.createInsecure());
    const projects = new ProjectServiceClient(core.address, credentials.createInsecure());
    const plugin = await TestPlugin.connect(core.address, "knn");
    try {
      const data = Buffer.from([...syntheticEventLog(fileBytes)].join(""));
      const uploaded = await upload(datasets, data, { chunkBytes: 256 * 1024 });
      const project = await createProject(projects, {
        datasetCsv: Buffer.alloc(0),
        datasetId: uploaded.datasetId,
        holdoutFraction: 0.1,
      });
      const td = await plugin.trainingData.next(120_000); // arrives once preprocessing finished
      expect(td.projectId).toBe(project.id);
      const stored = await getProject(projects, project.id);
      expect(stored.dataset?.trainingRows).toBeGreaterThan(0);
      expect((stored.dataset?.trainingRows ?? 0) + (stored.dataset?.holdoutRows ?? 0)).toBe(
        stored.dataset?.rows,
      );
      expect(stored.preprocessing).toMatchObject({
        bytesDone: data.length,
        bytesTotal: data.length,
        done: true,
      });
    } finally {
      clearInterval(sampler);
      plugin.close();
      datasets.close();
      projects.close();
    }
    expect(peak).toBeLessThan(rssBoundBytes);
  });
});
