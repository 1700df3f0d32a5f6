import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ChangeFeed } from "../../../../src/app/change-feed/change-feed.js";
import type { DeliveryClaims } from "../../../../src/app/dispatch/delivery-claims.js";
import { Dispatcher } from "../../../../src/app/dispatch/dispatcher.js";
import {
  type PluginSession,
  PluginSessions,
  type TrainingDataMessage,
} from "../../../../src/app/plugins/plugin-sessions.js";
import type { WaitingDeliveryRow } from "../../../../src/store/sql/memberships.js";
import { testMetrics } from "../../../helpers/metrics.js";

const key = "k";

/** WAITING memberships 1..n of `key`, handed out oldest first, as the store would. */
class WaitingWork implements DeliveryClaims {
  readonly asked: number[] = [];
  readonly waiting: number[];

  constructor(n: number) {
    this.waiting = Array.from({ length: n }, (_, i) => i + 1);
  }

  async claimNext(_key: string, count: number, held: readonly number[]) {
    this.asked.push(count);
    const skip = new Set(held);
    return this.waiting
      .filter((id) => !skip.has(id))
      .slice(0, count)
      .map(
        (id): WaitingDeliveryRow => ({
          id,
          project_id: id,
          parameters_json: "{}",
          additional_info_json: "{}",
          training_blob_id: `tr_${id}`,
          effective_definition_json: null,
        }),
      );
  }

  async release(): Promise<void> {}
}

function instance(id: number): PluginSession & { received: number[] } {
  const received: number[] = [];
  return {
    id,
    key,
    lastAnswerMs: Date.now(),
    received,
    async sendTrainingData(message: TrainingDataMessage) {
      received.push(message.pluginId);
    },
    async sendPrescriptionRequest() {},
    sendOnlineInquiry() {},
  };
}

describe("Dispatcher", () => {
  let dispatcher: Dispatcher | undefined;
  afterEach(() => dispatcher?.stop());

  function start(work: WaitingWork, sessions: PluginSessions, maxClaimsPerQuery: number) {
    dispatcher = new Dispatcher({
      claims: work,
      sessions,
      feed: new ChangeFeed(),
      logger: pino({ level: "silent" }),
      metrics: testMetrics(),
      capacity: 4,
      leaseMs: 60_000,
      maxClaimsPerQuery,
    });
    return dispatcher;
  }

  it("asks for at most maxClaimsPerQuery at a time, and goes on while work and room remain", async () => {
    const work = new WaitingWork(20);
    const sessions = new PluginSessions(60_000);
    const instances = [instance(1), instance(2), instance(3)];
    for (const s of instances) sessions.add(s);
    const d = start(work, sessions, 5);
    d.sessionReady(instances[0] as PluginSession);
    await d.idle();
    // Room for 3 × 4: asked 5, 5, then the 2 left.
    expect(work.asked).toEqual([5, 5, 2]);
    expect(instances.map((s) => s.received.length)).toEqual([4, 4, 4]);
    const sent = instances.flatMap((s) => s.received).sort((a, b) => a - b);
    expect(sent).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it("stops when the work runs out before the room", async () => {
    const work = new WaitingWork(7);
    const sessions = new PluginSessions(60_000);
    const instances = Array.from({ length: 50 }, (_, i) => instance(i + 1));
    for (const s of instances) sessions.add(s);
    const d = start(work, sessions, 5);
    d.sessionReady(instances[0] as PluginSession);
    await d.idle();
    expect(work.asked).toEqual([5, 5]);
    // One each to the least loaded, in order.
    expect(instances.slice(0, 8).map((s) => s.received.length)).toEqual([1, 1, 1, 1, 1, 1, 1, 0]);
  });

  it("asks for nothing when every instance is full", async () => {
    const work = new WaitingWork(10);
    const sessions = new PluginSessions(60_000);
    const only = instance(1);
    sessions.add(only);
    const d = start(work, sessions, 256);
    d.sessionReady(only);
    await d.idle();
    expect(work.asked).toEqual([4]);
    d.sessionReady(only);
    await d.idle();
    expect(work.asked).toEqual([4]);
    expect(only.received).toEqual([1, 2, 3, 4]);
  });
});
