import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { PluginReportError, type TrainingJob } from "../../../src/sdk/index.js";
import { AsyncQueue } from "../../helpers/async-queue.js";
import { deferred, FakeCore, type FakeStream, nextOf } from "./fake-core.js";
import { type RunningPlugin, startPlugin } from "./plugin-harness.js";

describe("plugin SDK: jobs and reports", () => {
  let core: FakeCore;
  const plugins: RunningPlugin[] = [];

  afterEach(async () => {
    for (const p of plugins.splice(0)) await p.stop().catch(() => {});
    await core.stop();
  });

  /** Starts a fake core and a plugin; resolves with the registered stream. */
  async function setUp(options: Parameters<typeof startPlugin>[1] = {}): Promise<FakeStream> {
    core = await FakeCore.start();
    plugins.push(startPlugin(core, options));
    const stream = await core.streams.next();
    await nextOf(stream, "onlineReport");
    return stream;
  }

  async function outcome(promise: Promise<unknown>): Promise<unknown> {
    return promise.then(
      () => "ok",
      (error: unknown) => error,
    );
  }

  it("passes the job on, resolves acked reports and rejects refused ones with their code", async () => {
    const outcomes = new AsyncQueue<unknown>();
    const jobs: TrainingJob[] = [];
    const stream = await setUp({
      onTrainingData: async (job, ctx) => {
        jobs.push(job);
        outcomes.push(await outcome(ctx.accept()));
        outcomes.push(await outcome(ctx.started()));
        outcomes.push(await outcome(ctx.fail("could not start")));
      },
    });
    core.policy = (request) =>
      request.message?.$case === "trainingStart"
        ? { code: status.FAILED_PRECONDITION, message: "plugin is WAITING; send a DataReport" }
        : 0;
    stream.trainingData({
      projectId: 4,
      pluginId: 9,
      trainingDfName: "td_x",
      parameters: { k: 5 },
      additionalInfo: { epochs: 2 },
    });
    expect(await outcomes.next()).toBe("ok");
    const refused = await outcomes.next();
    expect(refused).toBeInstanceOf(PluginReportError);
    expect(refused).toMatchObject({
      code: status.FAILED_PRECONDITION,
      message: "plugin is WAITING; send a DataReport",
      report: "started",
      pluginId: 9,
    });
    expect(await outcomes.next()).toBe("ok");
    expect(jobs).toEqual([
      {
        projectId: 4,
        pluginId: 9,
        trainingDfName: "td_x",
        parameters: { k: 5 },
        additionalInfo: { epochs: 2 },
      },
    ]);
    expect((await nextOf(stream, "errorReport")).message.value).toEqual({
      projectId: 4,
      pluginId: 9,
      detail: "could not start",
    });
  });

  it("ignores TrainingData for a job it is working on or has finished", async () => {
    const calls: number[] = [];
    const gate = deferred();
    const stream = await setUp({
      onTrainingData: async (job, ctx) => {
        calls.push(job.pluginId);
        await ctx.accept();
        await gate.promise;
        await ctx.reject();
      },
    });
    stream.trainingData({ pluginId: 7 });
    await nextOf(stream, "dataReport");
    stream.trainingData({ pluginId: 7 }); // while running
    gate.resolve();
    await nextOf(stream, "dataReport");
    stream.trainingData({ pluginId: 7 }); // after it finished
    stream.trainingData({ pluginId: 8 });
    expect((await nextOf(stream, "dataReport")).message.value.pluginId).toBe(8);
    expect(calls).toEqual([7, 8]);
  });

  it("runs at most `concurrency` jobs at once and starts waiting ones in arrival order", async () => {
    const started = new AsyncQueue<number>();
    const gates = new Map([1, 2, 3, 4].map((id) => [id, deferred()]));
    let running = 0;
    let maxRunning = 0;
    const stream = await setUp({
      concurrency: 2,
      onTrainingData: async (job, ctx) => {
        maxRunning = Math.max(maxRunning, ++running);
        started.push(job.pluginId);
        await gates.get(job.pluginId)?.promise;
        running--;
        await ctx.reject();
      },
    });
    for (const pluginId of [1, 2, 3, 4]) stream.trainingData({ pluginId });
    expect([await started.next(), await started.next()]).toEqual([1, 2]);
    // The inquiry's answer comes after the SDK took in every TrainingData sent before it.
    stream.inquiry();
    await nextOf(stream, "onlineReport");
    expect(started.size).toBe(0);
    gates.get(2)?.resolve();
    expect(await started.next()).toBe(3);
    gates.get(1)?.resolve();
    expect(await started.next()).toBe(4);
    gates.get(3)?.resolve();
    gates.get(4)?.resolve();
    const rejected = [1, 2, 3, 4].map(() => nextOf(stream, "dataReport"));
    expect((await Promise.all(rejected)).map((r) => r.message.value.pluginId).sort()).toEqual([
      1, 2, 3, 4,
    ]);
    expect(maxRunning).toBe(2);
  });

  it("reports fail(error message) when the handler throws before a final report", async () => {
    const stream = await setUp({
      onTrainingData: async (job, ctx) => {
        if (job.pluginId === 1) throw new Error("boom before anything");
        if (job.pluginId === 2) {
          await ctx.accept();
          await ctx.started();
          throw new RangeError("out of memory while training");
        }
        await ctx.accept(); // job 3 returns without a final report
      },
    });
    for (const pluginId of [1, 2, 3]) stream.trainingData({ pluginId });
    const details = new Map<number, string>();
    for (let i = 0; i < 3; i++) {
      const { value } = (await nextOf(stream, "errorReport")).message;
      details.set(value.pluginId, value.detail);
    }
    expect(Object.fromEntries(details)).toEqual({
      1: "boom before anything",
      2: "out of memory while training",
      3: "onTrainingData returned without reporting trained, fail or reject",
    });
  });

  it("does not add a fail() after a final report when the handler throws later", async () => {
    const stream = await setUp({
      onTrainingData: async (job, ctx) => {
        await ctx.accept();
        await ctx.started();
        await ctx.trained(`model-${job.pluginId}`);
        throw new Error("cleanup failed");
      },
    });
    stream.trainingData({ pluginId: 1 });
    stream.trainingData({ pluginId: 2 });
    await plugins[0]?.logged("onTrainingData failed after its final report", 2);
    stream.inquiry();
    await nextOf(stream, "onlineReport");
    expect(stream.received.map((r) => r.message?.$case)).not.toContain("errorReport");
  });

  it("sends a report again when its ack says UNAVAILABLE", async () => {
    let refusals = 0;
    const outcomes = new AsyncQueue<unknown>();
    const stream = await setUp({
      onTrainingData: async (_job, ctx) => {
        outcomes.push(await outcome(ctx.accept()));
        await ctx.reject().catch(() => {});
      },
    });
    core.policy = (request) => {
      if (request.message?.$case === "dataReport" && refusals < 2) {
        refusals++;
        return { code: status.UNAVAILABLE, message: "the store could not be reached" };
      }
      return 0;
    };
    stream.trainingData({ pluginId: 3 });
    expect(await outcomes.next()).toBe("ok");
    const accepts = stream.received.filter(
      (r) => r.message?.$case === "dataReport" && r.message.value.applicable,
    );
    expect(accepts.map((r) => r.sequence)).toEqual([2, 3, 4]);
  });

  it("downloads the training set and resumes an interrupted download at its offset", async () => {
    const chunks = ["case,activity,time\n", "c1,a,2024-01-01\n", "c1,b,2024-01-02\n"];
    const content = new AsyncQueue<string>();
    const stream = await setUp({
      onTrainingData: async (_job, ctx) => {
        const parts: Buffer[] = [];
        for await (const chunk of ctx.download()) parts.push(chunk);
        content.push(Buffer.concat(parts).toString());
        await ctx.reject();
      },
    });
    core.datasets.set(
      "td_a",
      chunks.map((c) => Buffer.from(c)),
    );
    let calls = 0;
    core.onDownload = (_request, call) => {
      if (++calls > 1) return true;
      // The first call breaks off after two chunks.
      call.write({ chunk: Buffer.from(chunks[0] as string) });
      call.write({ chunk: Buffer.from(chunks[1] as string) });
      call.emit("error", { code: status.UNAVAILABLE, details: "connection reset" });
      return false;
    };
    stream.trainingData({ pluginId: 1, trainingDfName: "td_a" });
    expect(await content.next()).toBe(chunks.join(""));
    expect(core.downloads.map((d) => d.trainingDfName)).toEqual(["td_a", "td_a"]);
    expect(core.downloads.map((d) => d.offset)).toEqual([
      0,
      Buffer.byteLength(chunks[0] as string) + Buffer.byteLength(chunks[1] as string),
    ]);
  });

  it("fails the job with the download's error when the dataset does not exist", async () => {
    const stream = await setUp({
      onTrainingData: async (_job, ctx) => {
        for await (const _ of ctx.download()) {
          // nothing to read
        }
      },
    });
    stream.trainingData({ pluginId: 1, trainingDfName: "td_missing" });
    expect((await nextOf(stream, "errorReport")).message.value.detail).toContain("no such dataset");
  });
});
