import { status } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { PluginRegistrationError, PluginStoppedError } from "../../../src/sdk/index.js";
import { deferred, FakeCore, nextOf } from "./fake-core.js";
import { identity, type RunningPlugin, startPlugin } from "./plugin-harness.js";

describe("plugin SDK: the Connect stream", () => {
  const cores: FakeCore[] = [];
  const plugins: RunningPlugin[] = [];

  async function fakeCore(port = 0): Promise<FakeCore> {
    const core = await FakeCore.start(port);
    cores.push(core);
    return core;
  }

  function plugin(...args: Parameters<typeof startPlugin>): RunningPlugin {
    const running = startPlugin(...args);
    plugins.push(running);
    return running;
  }

  afterEach(async () => {
    for (const p of plugins.splice(0)) await p.stop().catch(() => {});
    for (const core of cores.splice(0)) await core.stop();
  });

  it("registers with an OnlineReport as the first, numbered message", async () => {
    const core = await fakeCore();
    plugin(core);
    const stream = await core.streams.next();
    expect(await stream.requests.next()).toEqual({
      sequence: 1,
      message: {
        $case: "onlineReport",
        value: { ...identity, neededColumns: [], prescribes: false },
      },
    });
  });

  it("answers every OnlineInquiry with an OnlineReport on the next sequence", async () => {
    const core = await fakeCore();
    plugin(core);
    const stream = await core.streams.next();
    await nextOf(stream, "onlineReport");
    stream.inquiry();
    stream.inquiry();
    expect(await nextOf(stream, "onlineReport")).toMatchObject({ sequence: 2 });
    expect(await nextOf(stream, "onlineReport")).toEqual({
      sequence: 3,
      message: {
        $case: "onlineReport",
        value: { ...identity, neededColumns: [], prescribes: false },
      },
    });
  });

  it("fails for good when the core ends the stream refusing the registration", async () => {
    const core = await fakeCore();
    core.policy = (_request, stream) => {
      stream.end(status.INVALID_ARGUMENT, "OnlineReport.id must be 1 to 200 characters");
      return "hold";
    };
    const running = plugin(core);
    const error = await running.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PluginRegistrationError);
    expect(error).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: "OnlineReport.id must be 1 to 200 characters",
    });
    expect((error as Error).message).toContain('refused to register plugin "test-plugin"');
    expect(core.allStreams).toHaveLength(1); // no retry loop
  });

  it("fails for good on a PERMISSION_DENIED ack to the registration", async () => {
    const core = await fakeCore();
    core.policy = () => ({ code: status.PERMISSION_DENIED, message: "not allowed" });
    const running = plugin(core);
    await expect(running.done).rejects.toMatchObject({
      name: "PluginRegistrationError",
      code: status.PERMISSION_DENIED,
    });
    expect(core.allStreams).toHaveLength(1);
  });

  it("re-sends, in order, the reports without an ack after the stream drops, and resolves them", async () => {
    const core = await fakeCore();
    core.policy = (request) => (request.message?.$case === "onlineReport" ? 0 : "hold");
    const accepted: number[] = [];
    const calls: number[] = [];
    plugin(core, {
      concurrency: 2,
      onTrainingData: async (job, ctx) => {
        calls.push(job.pluginId);
        await ctx.accept();
        accepted.push(job.pluginId);
        await ctx.started();
        await ctx.trained(`model-${job.pluginId}`);
      },
    });
    const first = await core.streams.next();
    await nextOf(first, "onlineReport");
    first.trainingData({ pluginId: 1 });
    first.trainingData({ pluginId: 2 });
    await nextOf(first, "dataReport");
    await nextOf(first, "dataReport");
    core.policy = () => 0;
    first.end(status.UNAVAILABLE, "the training core is shutting down; reconnect");

    const second = await core.streams.next();
    expect(await second.requests.next()).toMatchObject({
      sequence: 1,
      message: { $case: "onlineReport" },
    });
    second.trainingData({ pluginId: 1 }); // redelivered while it is still WAITING: ignored
    const resent = [await second.requests.next(), await second.requests.next()];
    expect(resent).toEqual([
      {
        sequence: 2,
        message: { $case: "dataReport", value: { projectId: 1, pluginId: 1, applicable: true } },
      },
      {
        sequence: 3,
        message: { $case: "dataReport", value: { projectId: 1, pluginId: 2, applicable: true } },
      },
    ]);
    const trained = [await nextOf(second, "modelName"), await nextOf(second, "modelName")];
    expect(trained.map((r) => r.message.value.pluginId).sort()).toEqual([1, 2]);
    expect(accepted.sort()).toEqual([1, 2]);
    expect(calls).toEqual([1, 2]);
  });

  it("reconnects with backoff while the core is away and delivers what was reported meanwhile", async () => {
    const core = await fakeCore();
    const gate = deferred();
    const trained = deferred<string>();
    const running = plugin(core, {
      onTrainingData: async (job, ctx) => {
        await ctx.accept();
        await ctx.started();
        await gate.promise;
        await ctx.trained(`model-${job.pluginId}`);
        trained.resolve("acked");
      },
    });
    const first = await core.streams.next();
    await nextOf(first, "onlineReport");
    first.trainingData({ pluginId: 5 });
    await nextOf(first, "trainingStart");
    await core.stop();
    gate.resolve(); // trained() is called while the core is down

    const reconnecting = "reconnecting to the training core";
    // A few attempts are refused before the core comes back on the same port.
    await running.logged(reconnecting, 3);
    const again = await fakeCore(core.port);
    const stream = await again.streams.next();
    await nextOf(stream, "onlineReport");
    expect((await nextOf(stream, "modelName")).message.value).toEqual({
      projectId: 1,
      pluginId: 5,
      modelName: "model-5",
    });
    expect(await trained.promise).toBe("acked");
    const delays = running.logs.filter((l) => l.msg === reconnecting).map((l) => l.delayMs);
    expect(delays.length).toBeGreaterThanOrEqual(3);
    delays.forEach((delay, attempt) => {
      if (typeof delay !== "number") throw new Error(`no delay logged: ${String(delay)}`);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(80, 10 * 2 ** attempt));
    });
  });

  it("shuts down cleanly: aborts running jobs, waits for their acks, half-closes", async () => {
    const core = await fakeCore();
    // The ack of the error report comes a little later: shutdown must wait for it.
    core.policy = (request, stream) => {
      if (request.message?.$case !== "errorReport") return 0;
      setTimeout(() => stream.ack(request.sequence), 20);
      return "hold";
    };
    const calls: number[] = [];
    const failAcked = deferred<boolean>();
    const accepted = deferred();
    const running = plugin(core, {
      onTrainingData: async (job, ctx) => {
        calls.push(job.pluginId);
        await ctx.accept();
        accepted.resolve();
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
        failAcked.resolve(
          await ctx.fail("stopped by the operator").then(
            () => true,
            () => false,
          ),
        );
      },
    });
    const stream = await core.streams.next();
    await nextOf(stream, "onlineReport");
    stream.trainingData({ pluginId: 1 });
    stream.trainingData({ pluginId: 2 }); // queued behind job 1 (concurrency 1)
    await accepted.promise;
    await running.stop();
    expect(await failAcked.promise).toBe(true);
    expect(await stream.clientDone).toBe("half-closed");
    expect(calls).toEqual([1]);
    expect(stream.received.map((r) => r.message?.$case)).toEqual([
      "onlineReport",
      "dataReport",
      "errorReport",
    ]);
  });

  it("rejects reports still waiting for an ack when it stops while disconnected", async () => {
    const core = await fakeCore();
    const outcome = deferred<unknown>();
    const running = plugin(core, {
      reconnect: { initialDelayMs: 1_000, maxDelayMs: 1_000 },
      onTrainingData: async (_job, ctx) => {
        await ctx.accept();
        await ctx.started().catch((error: unknown) => outcome.resolve(error));
      },
    });
    core.policy = (request) => (request.message?.$case === "trainingStart" ? "hold" : 0);
    const stream = await core.streams.next();
    await nextOf(stream, "onlineReport");
    stream.trainingData({ pluginId: 1 });
    await nextOf(stream, "trainingStart");
    stream.end(status.UNAVAILABLE, "gone");
    await running.logged("reconnecting to the training core");
    await running.stop();
    expect(await outcome.promise).toBeInstanceOf(PluginStoppedError);
  });

  it("resolves at once when the signal is already aborted", async () => {
    const core = await fakeCore();
    const controller = new AbortController();
    controller.abort();
    await startPlugin(core, { signal: controller.signal }).done;
    expect(core.allStreams).toHaveLength(0);
  });
});
