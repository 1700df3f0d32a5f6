// `training-core project update|retrain|delete` and `plugin serve|unserve` against a real core:
// a project renamed, trained again with another parameter (and followed to TRAINED), a plugin
// taken out of prescriptions and back by key or plugin id, and the projects deleted.
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { startTestCore, type TestCore } from "../helpers/core.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  type TestDatabase,
} from "../helpers/databases.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import { createProject, failureOf, getProject, watchToEnd } from "../helpers/projects.js";

describeEachDialect("training-core project lifecycle commands", (dialect) => {
  let database: TestDatabase;
  let core: TestCore;
  let knn: TestPlugin;
  let projectId = 0;
  let pluginId = 0;
  const options = () => ({ address: core.address });

  beforeAll(async () => {
    database = await createTestDatabaseUrl(dialect);
    core = await startTestCore(database.url);
    knn = await TestPlugin.connect(core.address, "knn", { prescribes: true });
    const project = await createProject(core.projects, {
      name: "orders",
      pluginKeys: ["knn"],
      parameters: { knn: { k: 3 } },
    });
    const td = await knn.trainingData.next();
    await knn.train(td);
    await watchToEnd(core.projects, project.id);
    projectId = project.id;
    pluginId = td.pluginId;
  });

  afterAll(async () => {
    knn?.close();
    await core?.stop();
    await database?.drop();
  });

  it("renames a project, and needs something to change", async () => {
    const result = await runCli(
      ["project", "update", String(projectId), "--name", "orders 2024"],
      options(),
    );
    expect(result).toMatchObject({
      code: 0,
      stdout: `updated project ${projectId} "orders 2024"\n`,
    });
    expect((await getProject(core.projects, projectId)).name).toBe("orders 2024");
    expect(await runCli(["project", "update", String(projectId)], options())).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("give --name, --description or both"),
    });
  });

  it("takes a plugin out of prescriptions by key and puts it back by plugin id", async () => {
    const off = await runCli(["plugin", "unserve", String(projectId), "knn"], options());
    expect(off).toMatchObject({
      code: 0,
      stdout: `knn (plugin id ${pluginId}) in project ${projectId} does not serve prescriptions\n`,
    });
    const on = await runCli(
      ["plugin", "serve", String(projectId), String(pluginId), "--json"],
      options(),
    );
    expect(on.code).toBe(0);
    expect(JSON.parse(on.stdout)).toMatchObject({ pluginId, key: "knn", serving: true });
    expect(await runCli(["plugin", "serve", String(projectId), "lstm"], options())).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`its plugins: ${pluginId} (knn)`),
    });
  });

  it("trains again with another parameter, follows it, and deletes both projects", async () => {
    const running = runCli(
      ["project", "retrain", String(projectId), "--param", "knn.k=9", "--wait"],
      options(),
    );
    const td = await knn.trainingData.next();
    expect(td.parameters).toMatchObject({ k: 9 });
    await knn.train(td);
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `created project ${td.projectId} "orders 2024 (again)" from project ${projectId}`,
    );
    expect((await getProject(core.projects, td.projectId)).sourceProjectId).toBe(projectId);

    for (const id of [projectId, td.projectId, projectId]) {
      expect(await runCli(["project", "delete", String(id)], options())).toMatchObject({
        code: 0,
        stdout: `deleted project ${id}\n`,
      });
    }
    expect(await failureOf(getProject(core.projects, td.projectId))).toMatchObject({ code: 5 });
  });
});
