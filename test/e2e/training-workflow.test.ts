import { status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import { PluginStatus, ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { createProject, getProject, watchToEnd } from "../helpers/projects.js";

describeEachDialect("training workflow", (dialect) => {
  const env = freshCorePerTest(dialect);
  const connect = (key: string) => env.connect(key);

  it("takes three plugins from WAITING to TRAINED and the project to TRAINED", async () => {
    const trio = [await connect("knn"), await connect("lstm"), await connect("forest")];
    const created = await createProject(env.core.projects, {
      pluginKeys: ["knn", "lstm", "forest"],
      parameters: { knn: { k: 5 } },
      additionalInfo: { lstm: { epochs: 2 } },
    });
    expect(created.status).toBe(ProjectStatus.PROJECT_STATUS_PREPROCESSING);

    const deliveries = await Promise.all(trio.map((p) => p.trainingData.next()));
    expect(new Set(deliveries.map((d) => d.pluginId)).size).toBe(3);
    const [knnData, lstmData] = deliveries;
    expect(knnData?.parameters).toEqual({ k: 5 });
    expect(lstmData?.parameters).toEqual({ k: 3 });
    expect(lstmData?.additionalInfo).toEqual({ epochs: 2 });
    expect(knnData?.trainingDfName).toMatch(/^td_/);

    await Promise.all(
      trio.map((p, i) => p.train(deliveries[i] as NonNullable<(typeof deliveries)[number]>)),
    );
    const events = await watchToEnd(env.core.projects, created.id);
    const project = await getProject(env.core.projects, created.id);
    expect(project.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(project.plugins.map((p) => p.status)).toEqual(
      Array(3).fill(PluginStatus.PLUGIN_STATUS_TRAINED),
    );
    expect(project.plugins.map((p) => p.modelName).sort()).toEqual(
      deliveries.map((d, i) => `${trio[i]?.key}-${d.pluginId}.pkl`).sort(),
    );
    expect(project.dataset).toMatchObject({
      rows: 5,
      cases: 3,
      columns: ["case", "activity", "time"],
    });

    // One event per plugin status it passed through, plus the project's own changes.
    const pluginEvents = events.filter((e) => e.pluginId !== 0);
    expect(pluginEvents).toHaveLength(3 * 4);
    const projectEvents = events.filter((e) => e.pluginId === 0).map((e) => e.projectStatus);
    expect(projectEvents).toEqual([
      ProjectStatus.PROJECT_STATUS_PREPROCESSING,
      ProjectStatus.PROJECT_STATUS_TRAINING,
      ProjectStatus.PROJECT_STATUS_TRAINED,
    ]);
    expect(events.at(-1)?.projectStatus).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
  });

  it("drops a plugin that is not applicable and finishes with the others", async () => {
    const [a, b] = [await connect("a"), await connect("b")];
    const project = await createProject(env.core.projects, { pluginKeys: ["a", "b"] });
    const [aData, bData] = [await a.trainingData.next(), await b.trainingData.next()];
    expect((await b.dataReport(bData, false)).code).toBe(status.OK);
    await a.train(aData);
    await watchToEnd(env.core.projects, project.id);
    const done = await getProject(env.core.projects, project.id);
    expect(done.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(done.plugins.map((p) => p.status)).toEqual([
      PluginStatus.PLUGIN_STATUS_TRAINED,
      PluginStatus.PLUGIN_STATUS_NOT_APPLICABLE,
    ]);
  });

  it("puts the project in ERROR when no plugin is applicable", async () => {
    const [a, b] = [await connect("a"), await connect("b")];
    const project = await createProject(env.core.projects, { pluginKeys: ["a", "b"] });
    await a.dataReport(await a.trainingData.next(), false);
    await b.dataReport(await b.trainingData.next(), false);
    const events = await watchToEnd(env.core.projects, project.id);
    expect(events.at(-1)).toMatchObject({
      pluginId: 0,
      projectStatus: ProjectStatus.PROJECT_STATUS_ERROR,
      detail: "no plugin is applicable",
    });
    expect((await getProject(env.core.projects, project.id)).error).toBe("no plugin is applicable");
  });

  it("records an error report and fails the project when every plugin failed", async () => {
    const [a, b] = [await connect("a"), await connect("b")];
    const project = await createProject(env.core.projects, { pluginKeys: ["a", "b"] });
    const [aData, bData] = [await a.trainingData.next(), await b.trainingData.next()];
    await a.dataReport(aData);
    await a.trainingStart(aData);
    expect((await a.errorReport(aData, "out of memory")).code).toBe(status.OK);
    expect((await getProject(env.core.projects, project.id)).status).toBe(
      ProjectStatus.PROJECT_STATUS_PREPROCESSING,
    );
    await b.errorReport(bData, "bad columns");
    await watchToEnd(env.core.projects, project.id);
    const failed = await getProject(env.core.projects, project.id);
    expect(failed.status).toBe(ProjectStatus.PROJECT_STATUS_ERROR);
    expect(failed.error).toBe("every plugin failed: a: out of memory; b: bad columns");
    expect(failed.plugins.map((p) => p.error)).toEqual(["out of memory", "bad columns"]);
  });

  it("finishes TRAINED when the failed plugin is not the last one standing", async () => {
    const [a, b] = [await connect("a"), await connect("b")];
    const project = await createProject(env.core.projects, { pluginKeys: ["a", "b"] });
    const [aData, bData] = [await a.trainingData.next(), await b.trainingData.next()];
    await a.train(aData);
    await b.errorReport(bData, "crashed");
    await watchToEnd(env.core.projects, project.id);
    expect((await getProject(env.core.projects, project.id)).status).toBe(
      ProjectStatus.PROJECT_STATUS_TRAINED,
    );
  });

  it("sends TrainingData to a plugin that connects only after the project was created", async () => {
    await connect("early").then((p) => p.close());
    const project = await createProject(env.core.projects, { pluginKeys: ["early"] });
    await env.core.core.preprocessingIdle();
    const late = await connect("early");
    const td = await late.trainingData.next();
    expect(td.projectId).toBe(project.id);
    await late.train(td);
    await watchToEnd(env.core.projects, project.id);
    expect((await getProject(env.core.projects, project.id)).status).toBe(
      ProjectStatus.PROJECT_STATUS_TRAINED,
    );
  });

  it("targets every online plugin when plugin_keys is empty", async () => {
    const [a, b] = [await connect("a"), await connect("b")];
    const project = await createProject(env.core.projects);
    expect(project.pluginKeys).toEqual(["a", "b"]);
    await Promise.all([a.trainingData.next(), b.trainingData.next()]);
  });
});
