/**
 * Models through the TypeScript SDK against the real core, on SQLite and PostgreSQL:
 * `ctx.trained({ modelName, file })` stores the model before reporting its name (a path or the
 * bytes, and across a core restart mid-upload), and `downloadModel` brings it back.
 */
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { credentials } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import { ModelServiceClient } from "../../src/gen/trainingcore/v1/model_service.js";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { downloadModel, ModelCache, type TrainingJob } from "../../src/sdk/index.js";
import { AsyncQueue } from "../helpers/async-queue.js";
import { describeEachDialect } from "../helpers/databases.js";
import { sha256Of } from "../helpers/datasets.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { createProject, getProject, watchToEnd } from "../helpers/projects.js";
import { deferred, identity, recordingLogger, sdkPluginsPerTest } from "../helpers/sdk-plugins.js";

describeEachDialect("models through the SDK", (dialect) => {
  const env = freshCorePerTest(dialect, { onlineInquiryIntervalMs: 200 });
  const sdk = sdkPluginsPerTest(env);

  function models(): ModelServiceClient {
    return env.track(new ModelServiceClient(env.core.address, credentials.createInsecure()));
  }

  it("trained({ file }) stores a file or bytes before ModelName; downloadModel brings them back", async () => {
    const key = "sdk-models";
    await sdk.makeKnown(key);
    const contents = new Map<number, Buffer>();
    sdk.start({
      report: identity(key),
      onTrainingData: async (job, ctx) => {
        await ctx.accept();
        await ctx.started();
        const model = randomBytes(1_500_000 + job.pluginId);
        contents.set(job.pluginId, model);
        if (job.pluginId % 2 === 0) {
          await ctx.trained({ modelName: `bytes-${job.pluginId}`, file: model });
        } else {
          const path = join(sdk.modelDir, `model-${job.pluginId}.bin`);
          await writeFile(path, model);
          await ctx.trained({ modelName: `file-${job.pluginId}`, file: path });
        }
      },
    });
    const created = [
      await createProject(env.core.projects, { pluginKeys: [key] }),
      await createProject(env.core.projects, { pluginKeys: [key] }),
    ];
    const client = models();
    const cache = new ModelCache();
    env.track({ close: () => cache.clear() });
    for (const project of created) {
      await watchToEnd(env.core.projects, project.id);
      const done = await getProject(env.core.projects, project.id);
      expect(done.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
      const plugin = done.plugins[0];
      if (!plugin) throw new Error("no plugin");
      const model = contents.get(plugin.pluginId) as Buffer;
      const kind = plugin.pluginId % 2 === 0 ? "bytes" : "file";
      expect(plugin).toMatchObject({
        modelName: `${kind}-${plugin.pluginId}`,
        modelSizeBytes: model.length,
      });
      const fresh = await downloadModel(client, project.id, plugin.pluginId);
      env.track({ close: () => rm(dirname(fresh.path), { recursive: true, force: true }) });
      expect(fresh.sizeBytes).toBe(model.length);
      expect(sha256Of(await fresh.read())).toBe(sha256Of(model));
      // Cached: the same file for every later request, one download for concurrent ones.
      const [first, second] = await Promise.all([
        downloadModel(client, project.id, plugin.pluginId, { cache }),
        downloadModel(client, project.id, plugin.pluginId, { cache }),
      ]);
      expect(second?.path).toBe(first?.path);
      expect(sha256Of(await (first as { read(): Promise<Buffer> }).read())).toBe(sha256Of(model));
    }
  });

  it("sends a model upload again after the core restarted mid-way, then reports its name", async () => {
    const key = "sdk-model-restart";
    await sdk.makeKnown(key);
    const log = recordingLogger();
    const jobs = new AsyncQueue<TrainingJob>();
    const started = deferred();
    const go = deferred();
    const model = randomBytes(300_000);
    sdk.start({
      report: identity(key),
      logger: log.logger,
      onTrainingData: async (job, ctx) => {
        jobs.push(job);
        await ctx.accept();
        await ctx.started();
        started.resolve();
        await go.promise;
        await ctx.trained({ modelName: "after-restart.bin", file: model });
      },
    });
    const project = await createProject(env.core.projects, { pluginKeys: [key] });
    const job = await jobs.next();
    await started.promise;
    const port = env.core.core.port;
    await env.core.stop();
    go.resolve(); // the upload starts while the core is down
    await log.waitFor((r) => r.msg === "model upload cut; sending again");
    await env.start({ port, onlineInquiryIntervalMs: 200 });
    await watchToEnd(env.core.projects, project.id);
    const done = await getProject(env.core.projects, project.id);
    expect(done.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(done.plugins[0]).toMatchObject({
      pluginId: job.pluginId,
      modelName: "after-restart.bin",
      modelSizeBytes: model.length,
    });
    const back = await downloadModel(models(), project.id, job.pluginId);
    env.track({ close: () => rm(dirname(back.path), { recursive: true, force: true }) });
    expect(sha256Of(await back.read())).toBe(sha256Of(model));
  });
});
