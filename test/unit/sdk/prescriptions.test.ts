/** The SDK's prescription requests against a scripted core: handler slots, acks, redeliveries. */
import { afterEach, describe, expect, it } from "vitest";
import type { ConnectRequest } from "../../../src/gen/trainingcore/v1/plugin_service.js";
import type { PrescriptionJob, RunPluginOptions } from "../../../src/sdk/index.js";
import { AsyncQueue } from "../../helpers/async-queue.js";
import { deferred, FakeCore, type FakeStream, nextOf } from "./fake-core.js";
import { type RunningPlugin, startPlugin } from "./plugin-harness.js";

/** A live request for case `caseId` (one event). */
function live(stream: FakeStream, requestId: string, caseId: string): void {
  stream.send({
    message: {
      $case: "prescriptionRequest",
      value: {
        requestId,
        projectId: 1,
        pluginId: 2,
        modelName: "m",
        input: {
          $case: "casePrefix",
          value: { caseId, events: [{ CASE_ID: caseId, ACTIVITY: "register", EMPTY: "" }] },
        },
        parameters: {},
        additionalInfo: {},
        definition: undefined,
      },
    },
  });
}

function resultOf(request: ConnectRequest) {
  return request.message?.$case === "prescriptionResult" ? request.message.value : undefined;
}

describe("plugin SDK: live prescription requests", () => {
  let core: FakeCore;
  const plugins: RunningPlugin[] = [];

  afterEach(async () => {
    for (const p of plugins.splice(0)) await p.stop().catch(() => {});
    await core.stop();
  });

  async function setUp(options: Partial<RunPluginOptions>): Promise<FakeStream> {
    core = await FakeCore.start();
    plugins.push(startPlugin(core, options));
    const stream = await core.streams.next();
    await nextOf(stream, "onlineReport");
    return stream;
  }

  it("starts the next request while the previous answer waits for its Ack", async () => {
    const held: ConnectRequest[] = [];
    const stream = await setUp({
      onPrescription: async (request, ctx) => {
        const running = request.case;
        if (!running) throw new Error("not live");
        await ctx.answer(running.caseId, { type: "NEXT_ACTIVITY", output: "check" });
      },
    });
    // The core holds every answer's Ack (as if its commit were slow).
    core.policy = (request) => {
      if (!resultOf(request)) return 0;
      held.push(request);
      return "hold";
    };
    live(stream, "r1", "c1");
    live(stream, "r2", "c2");
    const first = resultOf(await nextOf(stream, "prescriptionResult"));
    const second = resultOf(await nextOf(stream, "prescriptionResult"));
    expect(first).toMatchObject({ requestId: "r1", last: true, prescriptions: [{ caseId: "c1" }] });
    expect(second).toMatchObject({
      requestId: "r2",
      last: true,
      prescriptions: [{ caseId: "c2" }],
    });
    // Acked late, the answers are not sent again, and the plugin goes on.
    core.policy = () => 0;
    for (const request of held) stream.ack(request.sequence);
    live(stream, "r3", "c3");
    expect(resultOf(await nextOf(stream, "prescriptionResult"))?.requestId).toBe("r3");
  });

  it("runs at most prescriptionConcurrency handlers at once, in arrival order", async () => {
    const started = new AsyncQueue<string>();
    const gates = new Map(["r1", "r2", "r3"].map((id) => [id, deferred()]));
    const stream = await setUp({
      prescriptionConcurrency: 2,
      onPrescription: async (request) => {
        started.push(request.requestId);
        await gates.get(request.requestId)?.promise;
      },
    });
    for (const [i, id] of ["r1", "r2", "r3"].entries()) live(stream, id, `c${i}`);
    expect([await started.next(), await started.next()]).toEqual(["r1", "r2"]);
    // The inquiry's answer comes after the SDK took in every request sent before it.
    stream.inquiry();
    await nextOf(stream, "onlineReport");
    expect(started.size).toBe(0);
    gates.get("r2")?.resolve();
    expect(await started.next()).toBe("r3");
    gates.get("r1")?.resolve();
    gates.get("r3")?.resolve();
    const results = await Promise.all([1, 2, 3].map(() => nextOf(stream, "prescriptionResult")));
    expect(results.map((r) => resultOf(r)?.requestId).sort()).toEqual(["r1", "r2", "r3"]);
  });

  it("ignores a request sent again while its answer waits for the Ack, and after", async () => {
    const seen: PrescriptionJob[] = [];
    const stream = await setUp({
      onPrescription: async (request, ctx) => {
        seen.push(request);
        await ctx.answer(request.case?.caseId ?? "", { type: "NEXT_ACTIVITY", output: "x" });
      },
    });
    let held: ConnectRequest | undefined;
    core.policy = (request) => {
      if (!resultOf(request)) return 0;
      held = request;
      return "hold";
    };
    live(stream, "r1", "c1");
    await nextOf(stream, "prescriptionResult");
    live(stream, "r1", "c1"); // while the Ack is held
    core.policy = () => 0;
    stream.ack(held?.sequence ?? 0);
    live(stream, "r1", "c1"); // after it was acked
    live(stream, "r2", "c2");
    expect(resultOf(await nextOf(stream, "prescriptionResult"))?.requestId).toBe("r2");
    expect(seen.map((r) => r.requestId)).toEqual(["r1", "r2"]);
    // The case's events as the CSV would hold them: empty cells left out.
    expect(seen[0]?.case).toEqual({
      caseId: "c1",
      events: [{ CASE_ID: "c1", ACTIVITY: "register" }],
    });
  });
});
