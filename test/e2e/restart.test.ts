import { once } from "node:events";
import { createServer } from "node:net";
import { status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import { PluginStatus, ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { openStore } from "../../src/store/connect.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { createProject, getProject, watchToEnd } from "../helpers/projects.js";

describeEachDialect("restart and shutdown", (dialect) => {
  const env = freshCorePerTest(dialect);

  it("finishes an in-flight project after the core restarts on the same database", async () => {
    const a = await env.connect("a");
    const b = await env.connect("b");
    const project = await createProject(env.core.projects, { pluginKeys: ["a", "b"] });
    const aData = await a.trainingData.next();
    await b.trainingData.next(); // b never answers before the restart
    await a.dataReport(aData);
    await a.trainingStart(aData);

    await env.core.stop();
    expect((await a.ended).code).toBe(status.UNAVAILABLE);
    expect((await b.ended).code).toBe(status.UNAVAILABLE);
    await env.start();

    const a2 = await env.connect("a");
    const b2 = await env.connect("b");
    // Only b's membership is still WAITING, so only b is sent its TrainingData again.
    const bData = await b2.trainingData.next();
    expect(bData.projectId).toBe(project.id);
    expect(a2.trainingData.size).toBe(0);
    expect((await a2.trainingStart(aData)).code).toBe(status.OK); // a duplicate after reconnecting
    await a2.modelName(aData);
    await b2.train(bData);
    await watchToEnd(env.core.projects, project.id);
    const done = await getProject(env.core.projects, project.id);
    expect(done.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(done.plugins.map((p) => p.status)).toEqual([
      PluginStatus.PLUGIN_STATUS_TRAINED,
      PluginStatus.PLUGIN_STATUS_TRAINED,
    ]);
  });

  it("preprocesses again a project whose preprocessing never finished", async () => {
    const plugin = await env.connect("a");
    plugin.close();
    const project = await createProject(env.core.projects, { pluginKeys: ["a"] });
    await env.core.core.preprocessingIdle();
    await env.core.stop();
    // Put the database back in the state a crash during preprocessing leaves behind.
    const store = await openStore(env.database.url);
    await store
      .db("events")
      .where({ project_id: project.id })
      .whereNotNull("membership_id")
      .delete();
    await store.db("memberships").where({ project_id: project.id }).delete();
    await store
      .db("projects")
      .where({ id: project.id })
      .update({ preprocessed_ms: null, training_blob_id: null, holdout_blob_id: null });
    await store.close();

    await env.start();
    await env.core.core.preprocessingIdle();
    const stored = await getProject(env.core.projects, project.id);
    expect(stored.status).toBe(ProjectStatus.PROJECT_STATUS_PREPROCESSING);
    expect(stored.dataset?.rows).toBe(5);
    expect(stored.plugins.map((p) => p.status)).toEqual([PluginStatus.PLUGIN_STATUS_WAITING]);
  });

  it("ends watch streams with UNAVAILABLE on shutdown", async () => {
    const plugin = await env.connect("a");
    const project = await createProject(env.core.projects, { pluginKeys: ["a"] });
    const watching = watchToEnd(env.core.projects, project.id).catch(
      (e: { code: number }) => e.code,
    );
    await plugin.trainingData.next();
    await env.core.stop();
    expect(await watching).toBe(status.UNAVAILABLE);
  });

  it("undoes a start that fails halfway: the next start finds the database free", async () => {
    await env.core.stop();
    const taken = createServer().listen(0, "127.0.0.1");
    await once(taken, "listening");
    const { port } = taken.address() as { port: number };
    try {
      // Everything up to the gRPC port starts (store, replica, replication), then is undone.
      await expect(env.start({ port })).rejects.toThrow();
    } finally {
      taken.close();
    }
    await env.start();
    const store = await openStore(env.database.url);
    try {
      // Only the replica that serves now: the failed one left the table.
      expect(await store.db("replicas").count({ n: "*" })).toEqual([{ n: 1 }]);
    } finally {
      await store.close();
    }
  });
});
