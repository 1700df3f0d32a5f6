import { status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import type { TrainingData } from "../../src/gen/trainingcore/v1/plugin_service.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import type { TestPlugin } from "../helpers/plugin-client.js";
import { createProject } from "../helpers/projects.js";

describeEachDialect("delivery leases", (dialect) => {
  const env = freshCorePerTest(dialect, { deferStart: true });
  const start = env.start;
  const connect = (key: string) => env.connect(key);

  /** Waits until nothing is being handed out, then until the plugin has read all that was sent. */
  async function settle(...subscribers: TestPlugin[]): Promise<void> {
    await env.core.core.preprocessingIdle();
    await env.core.core.dispatchIdle();
    for (const plugin of subscribers) {
      const ack = await plugin.send({ $case: "onlineReport", value: plugin.identity() });
      expect(ack.code).toBe(status.OK);
    }
  }

  const drain = (plugin: TestPlugin): TrainingData[] => plugin.trainingData.takeAll();

  it("spreads memberships evenly over the instances of a key, each to one instance", async () => {
    const { projects } = await start();
    const [a, b] = [await connect("k"), await connect("k")];
    for (let i = 0; i < 6; i++) await createProject(projects, { pluginKeys: ["k"] });
    await settle(a, b);
    const [toA, toB] = [drain(a), drain(b)];
    expect(toA).toHaveLength(3);
    expect(toB).toHaveLength(3);
    expect(new Set([...toA, ...toB].map((td) => td.pluginId)).size).toBe(6);
  });

  it("keeps at most the in-flight cap per stream and the rest in the store", async () => {
    const { projects } = await start({ maxInFlightPerStream: 2 });
    const plugin = await connect("k");
    for (let i = 0; i < 5; i++) await createProject(projects, { pluginKeys: ["k"] });
    await settle(plugin);
    const first = drain(plugin);
    expect(first).toHaveLength(2);
    await plugin.dataReport(first[0] as TrainingData, false); // frees one slot
    await settle(plugin);
    expect(drain(plugin)).toHaveLength(1);
    await plugin.dataReport(first[1] as TrainingData, false);
    await settle(plugin);
    expect(drain(plugin)).toHaveLength(1);
  });

  it("moves a leased membership to another instance when its holder disconnects", async () => {
    const { projects } = await start();
    const [a, b] = [await connect("k"), await connect("k")];
    const project = await createProject(projects, { pluginKeys: ["k"] });
    await settle(a, b);
    const holder = a.trainingData.size > 0 ? a : b;
    const other = holder === a ? b : a;
    const td = await holder.trainingData.next();
    holder.cancel();
    const moved = await other.trainingData.next();
    expect(moved).toMatchObject({ projectId: project.id, pluginId: td.pluginId });
    // The first holder's late report is still judged by the state machine: accepted.
    expect((await other.dataReport(moved)).code).toBe(status.OK);
  });

  it("moves a membership whose lease ran out, and accepts the late duplicate", async () => {
    const { projects } = await start({ deliveryLeaseMs: 200 });
    const [a, b] = [await connect("k"), await connect("k")];
    await createProject(projects, { pluginKeys: ["k"] });
    await settle(a, b);
    const holder = a.trainingData.size > 0 ? a : b;
    const other = holder === a ? b : a;
    const td = await holder.trainingData.next();
    const moved = await other.trainingData.next(); // after the lease expired
    expect(moved.pluginId).toBe(td.pluginId);
    expect((await other.dataReport(moved)).code).toBe(status.OK);
    expect((await holder.dataReport(td)).code).toBe(status.OK); // late duplicate: a no-op
  });
});
