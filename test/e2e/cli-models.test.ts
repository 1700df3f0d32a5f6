// `training-core model download` against a real core: a consumer exports a stored model by
// plugin key or plugin id, as text or JSON; a plugin that keeps its model, or an unknown plugin,
// is an error naming what is wrong.
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { startTestCore, type TestCore } from "../helpers/core.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  type TestDatabase,
} from "../helpers/databases.js";
import { modelClient, uploadModel } from "../helpers/models.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import { createProject, watchToEnd } from "../helpers/projects.js";

describeEachDialect("training-core model download", (dialect) => {
  let database: TestDatabase;
  let core: TestCore;
  let workDir: string;
  const model = randomBytes(1_200_000);
  let projectId = 0;
  let storedId = 0;
  let keptId = 0;
  const options = () => ({ address: core.address });

  beforeAll(async () => {
    database = await createTestDatabaseUrl(dialect);
    core = await startTestCore(database.url);
    workDir = await mkdtemp(join(tmpdir(), "training-core-cli-models-"));
    const knn = await TestPlugin.connect(core.address, "knn");
    const lstm = await TestPlugin.connect(core.address, "lstm");
    const models = modelClient(core.address);
    try {
      const project = await createProject(core.projects, { pluginKeys: ["knn", "lstm"] });
      const [td, kept] = [await knn.trainingData.next(), await lstm.trainingData.next()];
      expect((await knn.dataReport(td)).code).toBe(0);
      expect((await knn.trainingStart(td)).code).toBe(0);
      await uploadModel(models, td, "knn.bin", model);
      expect((await knn.modelName(td, "knn.bin")).code).toBe(0);
      await lstm.train(kept);
      await watchToEnd(core.projects, project.id);
      projectId = project.id;
      storedId = td.pluginId;
      keptId = kept.pluginId;
    } finally {
      models.close();
      knn.close();
      lstm.close();
    }
  });

  afterAll(async () => {
    await core?.stop();
    await database?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it("exports a stored model by plugin key", async () => {
    const path = join(workDir, "by-key.bin");
    const result = await runCli(
      ["model", "download", String(projectId), "knn", "-o", path],
      options(),
    );
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(
      `saved model "knn.bin" of knn (plugin id ${storedId}) in project ${projectId} to ${path} (1.2 MB)\n`,
    );
    expect((await readFile(path)).equals(model)).toBe(true);
  });

  it("exports by plugin id, with --json", async () => {
    const path = join(workDir, "by-id.bin");
    const result = await runCli(
      ["model", "download", String(projectId), String(storedId), "--output", path, "--json"],
      options(),
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      projectId,
      pluginId: storedId,
      key: "knn",
      modelName: "knn.bin",
      path,
      sizeBytes: model.length,
    });
    expect((await readFile(path)).equals(model)).toBe(true);
  });

  it("fails, writing nothing, for a plugin that keeps its model and for an unknown plugin", async () => {
    const path = join(workDir, "none.bin");
    const kept = await runCli(
      ["model", "download", String(projectId), "lstm", "-o", path],
      options(),
    );
    expect(kept.code).toBe(1);
    expect(kept.stderr).toContain(`error: NOT_FOUND: plugin_id ${keptId} of project ${projectId}`);
    expect(kept.stderr).toContain("has no stored model");
    await expect(readFile(path)).rejects.toMatchObject({ code: "ENOENT" });
    await expect(readFile(`${path}.part`)).rejects.toMatchObject({ code: "ENOENT" });
    const unknown = await runCli(["model", "download", String(projectId), "forest"], options());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`project ${projectId} has no plugin forest; its plugins:`);
  });

  it("shows the stored model in project get", async () => {
    const result = await runCli(["project", "get", String(projectId)], options());
    expect(result.stdout).toContain("knn.bin (stored, 1.2 MB)");
    const json = await runCli(["project", "get", String(projectId), "--json"], options());
    const plugins = (
      JSON.parse(json.stdout) as { plugins: { key: string; modelSizeBytes: number }[] }
    ).plugins;
    expect(plugins.map((p) => [p.key, p.modelSizeBytes])).toEqual([
      ["knn", model.length],
      ["lstm", 0],
    ]);
  });
});
