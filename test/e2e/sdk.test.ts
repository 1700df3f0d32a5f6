/**
 * The TypeScript plugin SDK against the real core, on SQLite and PostgreSQL: training, several
 * addresses, the project's definition, and a core restart.
 */
import { expect, it } from "vitest";
import { PluginStatus, ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { runPlugin, type TrainingJob } from "../../src/sdk/index.js";
import { AsyncQueue } from "../helpers/async-queue.js";
import { describeEachDialect, freePort } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { createProject, getProject, watchToEnd } from "../helpers/projects.js";
import {
  deferred,
  fastReconnect,
  identity,
  recordingLogger,
  sdkPluginsPerTest,
  ticketDefinition,
  ticketLog,
} from "../helpers/sdk-plugins.js";

describeEachDialect("plugin SDK against the core", (dialect) => {
  const env = freshCorePerTest(dialect, { onlineInquiryIntervalMs: 200 });
  const { makeKnown, start, stopAfterTest } = sdkPluginsPerTest(env);

  it("SDK plugins take several projects to TRAINED", async () => {
    const calls: Record<string, number[]> = { "sdk-a": [], "sdk-b": [] };
    for (const key of ["sdk-a", "sdk-b"]) {
      await makeKnown(key);
      start({
        report: { ...identity(key), parameters: { k: 3 } },
        concurrency: key === "sdk-a" ? 2 : 1,
        onTrainingData: async (job, ctx) => {
          calls[key]?.push(job.pluginId);
          const parts: Buffer[] = [];
          for await (const chunk of ctx.download()) parts.push(chunk);
          const csv = Buffer.concat(parts).toString();
          if (!csv.startsWith("case,activity,time\n")) throw new Error(`unexpected CSV: ${csv}`);
          await ctx.accept();
          await ctx.started();
          await ctx.trained(`${key}-${job.pluginId}-k${String(job.parameters.k)}.model`);
        },
      });
    }
    const projects = [];
    for (let i = 0; i < 3; i++) {
      projects.push(
        await createProject(env.core.projects, {
          name: `sdk ${i}`,
          pluginKeys: ["sdk-a", "sdk-b"],
          parameters: { "sdk-b": { k: 7 } },
          datasetId: "",
        }),
      );
    }
    for (const project of projects) {
      await watchToEnd(env.core.projects, project.id);
      const done = await getProject(env.core.projects, project.id);
      expect(done.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
      expect(done.plugins.map((p) => [p.key, p.status, p.modelName])).toEqual(
        done.plugins.map((p) => [
          p.key,
          PluginStatus.PLUGIN_STATUS_TRAINED,
          `${p.key}-${p.pluginId}-k${p.key === "sdk-b" ? 7 : 3}.model`,
        ]),
      );
    }
    expect(calls["sdk-a"]).toHaveLength(3);
    expect(calls["sdk-b"]).toHaveLength(3);
  });

  it("given several addresses, moves on from the ones that do not answer", async () => {
    const key = "sdk-multi";
    await makeKnown(key);
    const dead = await Promise.all([freePort(), freePort()]);
    const trained: number[] = [];
    const controller = new AbortController();
    stopAfterTest(
      controller,
      runPlugin({
        address: [...dead.map((port) => `127.0.0.1:${port}`), env.core.address],
        reconnect: fastReconnect,
        signal: controller.signal,
        report: identity(key),
        onTrainingData: async (job, ctx) => {
          await ctx.accept();
          await ctx.started();
          await ctx.trained(`${key}.model`);
          trained.push(job.projectId);
        },
      }),
    );
    const project = await createProject(env.core.projects, { pluginKeys: [key] });
    const events = await watchToEnd(env.core.projects, project.id);
    expect(events.at(-1)?.projectStatus).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(trained).toEqual([project.id]);
  });
  it("an SDK plugin gets the project's effective definition, and none without one", async () => {
    const key = "sdk-definition";
    await makeKnown(key);
    const jobs = new AsyncQueue<TrainingJob>();
    start({
      report: identity(key),
      onTrainingData: async (job, ctx) => {
        jobs.push(job);
        await ctx.reject();
      },
    });
    await createProject(env.core.projects, {
      datasetCsv: Buffer.from(ticketLog),
      holdoutFraction: 0,
      pluginKeys: [key],
      definition: ticketDefinition,
    });
    expect((await jobs.next()).definition).toEqual({
      // `agent` is inferred: a resource-like name.
      columns: { ticket: "CASE_ID", step: "ACTIVITY", at: "TIMESTAMP", agent: "RESOURCE" },
      caseAttributes: [],
      negativeOutcome: {
        anyOf: [{ conditions: [{ column: "step", operator: "EQUAL", value: "escalate" }] }],
      },
    });
    await createProject(env.core.projects, { pluginKeys: [key] });
    expect((await jobs.next()).definition).toBeUndefined();
  });
  it("reconnects after a core restart, re-sends what was not acked and finishes the jobs", async () => {
    const key = "sdk-restart";
    await makeKnown(key);
    const log = recordingLogger();
    const arrivals = new AsyncQueue<TrainingJob>();
    const calls: number[] = [];
    const firstStarted = deferred();
    const gates = [deferred(), deferred()];
    const reports: Promise<void>[] = [];
    start({
      report: identity(key),
      concurrency: 2,
      logger: log.logger,
      onTrainingData: async (job, ctx) => {
        const turn = calls.push(job.pluginId) - 1;
        arrivals.push(job);
        if (turn === 0) {
          // Job A: training when the core stops; reports the model while the core is down.
          await ctx.accept();
          await ctx.started();
          firstStarted.resolve();
          await gates[0]?.promise;
        } else {
          // Job B: still WAITING when the core stops, so the core offers it again.
          await gates[1]?.promise;
          await ctx.accept();
          await ctx.started();
        }
        const trained = ctx.trained(`model-${job.pluginId}`);
        reports.push(trained);
        await trained;
      },
    });
    const created = [
      await createProject(env.core.projects, {
        name: "restart 1",
        pluginKeys: [key],
        datasetId: "",
      }),
      await createProject(env.core.projects, {
        name: "restart 2",
        pluginKeys: [key],
        datasetId: "",
      }),
    ];
    const a = await arrivals.next();
    const b = await arrivals.next();
    await firstStarted.promise;

    const port = env.core.core.port;
    await env.core.stop();
    gates[0]?.resolve(); // A's ModelName is made while the core is down
    await env.start({ port, onlineInquiryIntervalMs: 200 });

    await log.waitFor(
      (r) => r.msg === "ignoring a repeated TrainingData" && r.pluginId === b.pluginId,
    );
    gates[1]?.resolve();
    for (const project of created) {
      await watchToEnd(env.core.projects, project.id);
      expect((await getProject(env.core.projects, project.id)).status).toBe(
        ProjectStatus.PROJECT_STATUS_TRAINED,
      );
    }
    await Promise.all(reports);
    expect(calls).toEqual([a.pluginId, b.pluginId]); // each job ran once
    const byPlugin = new Map(
      (await Promise.all(created.map((p) => getProject(env.core.projects, p.id))))
        .flatMap((p) => p.plugins)
        .map((p) => [p.pluginId, p.modelName]),
    );
    expect(byPlugin.get(a.pluginId)).toBe(`model-${a.pluginId}`);
    expect(byPlugin.get(b.pluginId)).toBe(`model-${b.pluginId}`);
  });
});
