/** The SDK's onPrescription against the real core, on SQLite and PostgreSQL. */
import { status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import type { RunPluginOptions } from "../../src/sdk/index.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { createProject, getProject } from "../helpers/projects.js";
import { deferred, identity, sdkPluginsPerTest } from "../helpers/sdk-plugins.js";
import {
  readJob,
  runningCases,
  storedResults,
  storePrescriptionJob,
} from "../helpers/stored-prescription-jobs.js";

describeEachDialect("plugin SDK: prescriptions", (dialect) => {
  const env = freshCorePerTest(dialect);
  const { makeKnown, start } = sdkPluginsPerTest(env);

  const train: RunPluginOptions["onTrainingData"] = async (job, ctx) => {
    await ctx.accept();
    await ctx.started();
    await ctx.trained(`model-${job.pluginId}`);
  };

  /** Registers `key` with the core (before the SDK plugin: makeKnown does not prescribe). */
  async function known(key: string): Promise<string> {
    await makeKnown(key);
    return key;
  }

  async function trainedProjectOf(key: string) {
    const project = await createProject(env.core.projects, { pluginKeys: [key] });
    await expect
      .poll(async () => (await getProject(env.core.projects, project.id)).status, {
        timeout: 15_000,
      })
      .toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    return project;
  }

  async function jobDone(jobId: string) {
    await expect
      .poll(async () => (await readJob(env.core.core, jobId)).job.status, { timeout: 30_000 })
      .toBe("DONE");
    return readJob(env.core.core, jobId);
  }

  it("answers 1,000 running cases in parts, each case once, from the parsed events", async () => {
    const seen: { requestId: string; modelName: string; datasetName: string }[] = [];
    start({
      report: identity(await known("sdk-p")),
      partSize: 300,
      onTrainingData: train,
      onPrescription: async (request, ctx) => {
        seen.push(request);
        for await (const running of ctx.cases()) {
          const last = running.events.at(-1) ?? {};
          await ctx.answer(running.caseId, {
            type: "NEXT_ACTIVITY",
            output: { after: last.ACTIVITY ?? null, events: running.events.length },
            model: { name: request.modelName },
          });
        }
      },
    });
    const project = await trainedProjectOf("sdk-p");
    const cases = runningCases(1000);
    const job = await storePrescriptionJob(env.core.core, project.id, cases);
    const { requests } = await jobDone(job.jobId);
    expect(requests[0]).toMatchObject({ status: "DONE" });
    expect(Number(requests[0].cases_done)).toBe(1000);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      requestId: job.requests.get("sdk-p"),
      datasetName: job.casesBlobId,
      modelName: expect.stringMatching(/^model-/),
    });
    const results = await storedResults(env.core.core, job.requests.get("sdk-p") as string);
    expect(results.size).toBe(1000);
    expect(results.get("c0000")).toEqual({
      type: "NEXT_ACTIVITY",
      output: { after: "check", events: 2 },
      detail: "",
      model: { name: seen[0]?.modelName },
    });
    expect(results.get("c0999")?.output).toEqual({ after: "decide", events: 3 });
  });

  it("reports a handler that throws as the request's error, keeping what it answered", async () => {
    start({
      report: identity(await known("sdk-fails")),
      partSize: 2,
      onTrainingData: train,
      onPrescription: async (_request, ctx) => {
        let n = 0;
        for await (const running of ctx.cases()) {
          if (n++ === 3) throw new Error("model file unreadable");
          await ctx.answer(running.caseId, { type: "ALARM", output: 0.5 });
        }
      },
    });
    const project = await trainedProjectOf("sdk-fails");
    const job = await storePrescriptionJob(env.core.core, project.id, runningCases(10));
    const { requests } = await jobDone(job.jobId);
    expect(requests[0]).toMatchObject({ status: "ERROR", detail: "model file unreadable" });
    const results = await storedResults(env.core.core, requests[0].id);
    expect([...results.keys()].sort()).toEqual(["c0000", "c0001", "c0002"]);
  });

  it("ctx.model returns the model stored at training; without one it rejects with NOT_FOUND", async () => {
    const seen: string[] = [];
    start({
      report: identity(await known("sdk-model")),
      onTrainingData: async (job, ctx) => {
        await ctx.accept();
        await ctx.started();
        await ctx.trained({
          modelName: "weights.bin",
          file: Buffer.from(`weights of ${job.pluginId}`),
        });
      },
      onPrescription: async (request, ctx) => {
        const model = await ctx.model();
        // Twice: the second comes from the cache, same bytes.
        seen.push(model.toString(), (await ctx.model()).toString());
        for await (const running of ctx.cases()) {
          await ctx.answer(running.caseId, { type: "ECHO", output: request.modelName });
        }
      },
    });
    const project = await trainedProjectOf("sdk-model");
    const job = await storePrescriptionJob(env.core.core, project.id, runningCases(3));
    const { requests } = await jobDone(job.jobId);
    expect(requests[0]).toMatchObject({ status: "DONE", cases_done: 3 });
    const pluginId = Number(requests[0].membership_id);
    expect(seen).toEqual([`weights of ${pluginId}`, `weights of ${pluginId}`]);
  });

  it("ctx.fail ends the request in ERROR; ctx.model rejects when no model is stored", async () => {
    start({
      report: identity(await known("sdk-no-model")),
      onTrainingData: train,
      onPrescription: async (_request, ctx) => {
        const failure = await ctx.model().then(
          () => "downloaded",
          (error: Error & { code?: number }) => `code ${error.code}`,
        );
        await ctx.fail(`cannot prescribe: ${failure}`);
      },
    });
    const project = await trainedProjectOf("sdk-no-model");
    const job = await storePrescriptionJob(env.core.core, project.id, runningCases(2));
    const { requests } = await jobDone(job.jobId);
    expect(requests[0]).toMatchObject({
      status: "ERROR",
      detail: `cannot prescribe: code ${status.NOT_FOUND}`,
    });
  });

  it("re-sends the parts not acked when the core restarts mid-answer; the handler runs once", async () => {
    const halfway = deferred();
    const gate = deferred();
    let calls = 0;
    start({
      report: identity(await known("sdk-restart")),
      partSize: 100,
      onTrainingData: train,
      onPrescription: async (_request, ctx) => {
        calls++;
        let n = 0;
        for await (const running of ctx.cases()) {
          if (n++ === 500) {
            halfway.resolve();
            await gate.promise;
          }
          await ctx.answer(running.caseId, { type: "ALARM", output: n });
        }
      },
    });
    const project = await trainedProjectOf("sdk-restart");
    const job = await storePrescriptionJob(env.core.core, project.id, runningCases(1000));
    await halfway.promise;
    const port = env.core.core.port;
    await env.core.stop();
    gate.resolve(); // the other half is answered while the core is down
    await env.start({ port });
    // The core may hand the request out again (if it is still open when the SDK is back): the
    // SDK ignores it, since it is running here.
    const { requests } = await jobDone(job.jobId);
    expect(Number(requests[0].cases_done)).toBe(1000);
    expect(calls).toBe(1);
    const results = await storedResults(env.core.core, requests[0].id);
    expect(results.size).toBe(1000);
    expect(results.get("c0999")?.output).toBe(1000);
  });
});
