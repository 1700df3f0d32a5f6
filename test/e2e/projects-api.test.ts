import { status } from "@grpc/grpc-js";
import { beforeEach, expect, it } from "vitest";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import type { ListProjectsRequest } from "../../src/gen/trainingcore/v1/project_service.js";
import { startTestCore } from "../helpers/core.js";
import { createTestDatabaseUrl, describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import type { TestPlugin } from "../helpers/plugin-client.js";
import {
  createProject,
  failureOf,
  getProject,
  listPlugins,
  listProjects,
  watchToEnd,
} from "../helpers/projects.js";

describeEachDialect("project service", (dialect) => {
  const env = freshCorePerTest(dialect, { maxDatasetBytes: 64 * 1024 });
  let plugin: TestPlugin;

  beforeEach(async () => {
    plugin = await env.connect("knn");
  });

  it("returns the same project for a repeated request_id", async () => {
    const first = await createProject(env.core.projects, { requestId: "req-1" });
    const again = await createProject(env.core.projects, { requestId: "req-1", name: "ignored" });
    expect(again.id).toBe(first.id);
    expect(again.name).toBe("test project");
    const other = await createProject(env.core.projects, { requestId: "req-2" });
    expect(other.id).not.toBe(first.id);
  });

  it.each<[string, Parameters<typeof createProject>[1], string]>([
    ["no dataset", { datasetCsv: Buffer.alloc(0) }, "a dataset is required"],
    [
      "both dataset_csv and dataset_id",
      { datasetId: "ds_000000000000000000000000" },
      "set only one of",
    ],
    ["an oversized dataset", { datasetCsv: Buffer.alloc(64 * 1024 + 1, 97) }, "the limit is 65536"],
    ["holdout_fraction 1", { holdoutFraction: 1 }, "holdout_fraction must be in [0, 1)"],
    [
      "a negative holdout_fraction",
      { holdoutFraction: -0.1 },
      "holdout_fraction must be in [0, 1)",
    ],
    ["an unknown plugin key", { pluginKeys: ["knn", "nope"] }, "unknown plugin key(s): nope"],
    ["an empty name", { name: "" }, "name is required"],
    [
      "parameters for a plugin not targeted",
      { pluginKeys: ["knn"], parameters: { x: {} } },
      "does not target: x",
    ],
  ])("refuses %s with INVALID_ARGUMENT", async (_name, overrides, details) => {
    const failure = await failureOf(createProject(env.core.projects, overrides));
    expect(failure.code).toBe(status.INVALID_ARGUMENT);
    expect(failure.details).toContain(details);
  });

  it("refuses a project with no plugin_keys while no plugin is online", async () => {
    plugin.close();
    const idleDatabase = await createTestDatabaseUrl(dialect);
    const idle = await startTestCore(idleDatabase.url);
    try {
      const failure = await failureOf(createProject(idle.projects));
      expect(failure.code).toBe(status.FAILED_PRECONDITION);
      expect(failure.details).toContain("no plugin is online");
    } finally {
      await idle.stop();
      await idleDatabase.drop();
    }
  });

  it("puts a malformed CSV in ERROR naming the line", async () => {
    const csv = "case,activity\nc1,a\nc2,b,extra\n";
    const project = await createProject(env.core.projects, { datasetCsv: Buffer.from(csv) });
    const events = await watchToEnd(env.core.projects, project.id);
    expect(events.at(-1)?.projectStatus).toBe(ProjectStatus.PROJECT_STATUS_ERROR);
    const failed = await getProject(env.core.projects, project.id);
    expect(failed.status).toBe(ProjectStatus.PROJECT_STATUS_ERROR);
    expect(failed.error).toMatch(/^dataset: line 3: /);
    expect(failed.plugins).toEqual([]);
  });

  it("gets unknown projects as NOT_FOUND", async () => {
    const failure = await failureOf(getProject(env.core.projects, 424242));
    expect(failure).toEqual({ code: status.NOT_FOUND, details: "project 424242 does not exist" });
    const watch = await failureOf(watchToEnd(env.core.projects, 424242));
    expect(watch.code).toBe(status.NOT_FOUND);
  });

  it("lists projects newest first, a page at a time", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await createProject(env.core.projects, { name: `p${i}` })).id);
    const list = (request: ListProjectsRequest) => listProjects(env.core.projects, request);
    const first = await list({ pageSize: 2, pageToken: "" });
    expect(first.projects.map((p) => p.id)).toEqual([ids[4], ids[3]]);
    const second = await list({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.projects.map((p) => p.id)).toEqual([ids[2], ids[1]]);
    const third = await list({ pageSize: 2, pageToken: second.nextPageToken });
    expect(third.projects.map((p) => p.id)).toEqual([ids[0]]);
    expect(third.nextPageToken).toBe("");
    const bad = await failureOf(list({ pageSize: 2, pageToken: "garbage" }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
  });

  it("watches from the start and from a cursor in the middle", async () => {
    const project = await createProject(env.core.projects, { pluginKeys: ["knn"] });
    await plugin.train(await plugin.trainingData.next());
    const all = await watchToEnd(env.core.projects, project.id);
    expect(all.length).toBeGreaterThanOrEqual(6);
    const ids = all.map((e) => e.eventId);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const middle = all[2]?.eventId ?? 0;
    const rest = await watchToEnd(env.core.projects, project.id, middle);
    expect(rest).toEqual(all.slice(3));
    expect(await watchToEnd(env.core.projects, project.id, all.at(-1)?.eventId)).toEqual([]);
  });

  it("streams live events to a watcher that started before training", async () => {
    const project = await createProject(env.core.projects, { pluginKeys: ["knn"] });
    const watching = watchToEnd(env.core.projects, project.id);
    const td = await plugin.trainingData.next();
    await plugin.train(td);
    const events = await watching;
    expect(events.at(-1)).toMatchObject({
      pluginId: 0,
      projectStatus: ProjectStatus.PROJECT_STATUS_TRAINED,
    });
  });

  it("serves the training set to plugins and refuses unknown names", async () => {
    const project = await createProject(env.core.projects, { pluginKeys: ["knn"] });
    const td = await plugin.trainingData.next();
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = env.core.datasets.downloadDataset({
        trainingDfName: td.trainingDfName,
        offset: 0,
      });
      stream.on("data", (r: { chunk: Buffer }) => chunks.push(r.chunk));
      stream.on("end", resolve);
      stream.on("error", reject);
    });
    const text = Buffer.concat(chunks).toString("utf8");
    const lines = text.trim().split("\n");
    expect(lines[0]).toBe("case,activity,time");
    const stored = await getProject(env.core.projects, project.id);
    expect(lines.length - 1).toBe(stored.dataset?.trainingRows);
    const missing = await new Promise<{ code: number }>((resolve) => {
      const stream = env.core.datasets.downloadDataset({
        trainingDfName: "td_000000000000000000000000",
        offset: 0,
      });
      stream.on("data", () => {});
      stream.on("error", resolve);
    });
    expect(missing.code).toBe(status.NOT_FOUND);
  });

  it("lists plugins with their online state", async () => {
    await env.connect("knn");
    const response = await listPlugins(env.core.projects);
    expect(response.plugins).toHaveLength(1);
    expect(response.plugins[0]).toMatchObject({
      key: "knn",
      name: "Plugin knn",
      online: true,
      instances: 2,
      parameters: { k: 3 },
    });
  });
});
