import { afterEach, describe, expect, it } from "vitest";
import {
  ColumnDefinition as ProtoColumnDefinition,
  Operator as ProtoOperator,
} from "../../../src/gen/trainingcore/v1/definition.js";
import { fromProtoColumnDefinition, toProtoColumnDefinition } from "../../../src/sdk/definition.js";
import { columnDefinitions, runPlugin, type TrainingJob } from "../../../src/sdk/index.js";
import { AsyncQueue } from "../../helpers/async-queue.js";
import { FakeCore, type FakeStream, nextOf } from "./fake-core.js";
import { identity, type RunningPlugin, startPlugin } from "./plugin-harness.js";

describe("plugin SDK: event-log definitions", () => {
  let core: FakeCore | undefined;
  const plugins: RunningPlugin[] = [];

  afterEach(async () => {
    for (const p of plugins.splice(0)) await p.stop().catch(() => {});
    await core?.stop();
    core = undefined;
  });

  async function setUp(options: Parameters<typeof startPlugin>[1]): Promise<FakeStream> {
    core = await FakeCore.start();
    plugins.push(startPlugin(core, options));
    return core.streams.next();
  }

  it("maps every column definition to the protocol's enum value of that name and back", () => {
    const protoNames = Object.keys(ProtoColumnDefinition).filter(
      (key) => key.startsWith("COLUMN_DEFINITION_") && key !== "COLUMN_DEFINITION_UNSPECIFIED",
    );
    expect(columnDefinitions.map((name) => `COLUMN_DEFINITION_${name}`)).toEqual(protoNames);
    for (const name of columnDefinitions) {
      const value = toProtoColumnDefinition(name);
      expect(ProtoColumnDefinition[value]).toBe(`COLUMN_DEFINITION_${name}`);
      expect(fromProtoColumnDefinition(value)).toBe(name);
    }
    expect(fromProtoColumnDefinition(ProtoColumnDefinition.COLUMN_DEFINITION_UNSPECIFIED)).toBe(
      "UNSPECIFIED",
    );
    expect(fromProtoColumnDefinition(99 as ProtoColumnDefinition)).toBe("UNSPECIFIED");
  });

  it("refuses an unknown needed column before connecting", async () => {
    core = await FakeCore.start();
    const running = startPlugin(core, {
      // A plain-JavaScript caller, or a typo.
      report: { ...identity, neededColumns: ["OUTCOME", "CASE_ID", "EVENT_ATTRIBUTE" as never] },
    });
    await expect(running.done).rejects.toThrow(
      'runPlugin: report.neededColumns[2] is "EVENT_ATTRIBUTE", not one of CASE_ID, ACTIVITY,',
    );
    expect(core.allStreams).toEqual([]);
  });

  it("sends the needed columns in the registration and in every answer to an inquiry", async () => {
    const registered = await setUp({
      report: { ...identity, neededColumns: ["OUTCOME", "CASE_ID"] },
    });
    const needed = [
      ProtoColumnDefinition.COLUMN_DEFINITION_OUTCOME,
      ProtoColumnDefinition.COLUMN_DEFINITION_CASE_ID,
    ];
    expect((await nextOf(registered, "onlineReport")).message.value).toMatchObject({
      id: identity.id,
      neededColumns: needed,
    });
    registered.inquiry();
    expect((await nextOf(registered, "onlineReport")).message.value.neededColumns).toEqual(needed);
  });

  it("sends no needed columns when the plugin declares none", async () => {
    const stream = await setUp({});
    expect((await nextOf(stream, "onlineReport")).message.value.neededColumns).toEqual([]);
  });

  it("gives the job the project's definition, with the enums as names", async () => {
    const jobs = new AsyncQueue<TrainingJob>();
    const stream = await setUp({
      onTrainingData: async (job, ctx) => {
        jobs.push(job);
        await ctx.reject();
      },
    });
    await nextOf(stream, "onlineReport");
    stream.trainingData({
      pluginId: 1,
      definition: {
        columns: {
          "case:concept:name": ProtoColumnDefinition.COLUMN_DEFINITION_CASE_ID,
          "concept:name": ProtoColumnDefinition.COLUMN_DEFINITION_ACTIVITY,
          "time:timestamp": ProtoColumnDefinition.COLUMN_DEFINITION_TIMESTAMP,
          "case:channel": ProtoColumnDefinition.COLUMN_DEFINITION_CATEGORICAL,
          future: 42 as ProtoColumnDefinition, // from a core on a newer protocol
        },
        caseAttributes: ["case:channel"],
        positiveOutcome: undefined,
        negativeOutcome: {
          anyOf: [
            {
              conditions: [
                { column: "DURATION", operator: ProtoOperator.OPERATOR_GREATER_THAN, value: "7 d" },
                { column: "ACTIVITY", operator: ProtoOperator.OPERATOR_EQUAL, value: "T10" },
              ],
            },
            { conditions: [{ column: "x", operator: 77 as ProtoOperator, value: "" }] },
          ],
        },
        treatment: { anyOf: [] }, // a rule without groups is no rule
      },
    });
    expect(await jobs.next()).toStrictEqual({
      projectId: 1,
      pluginId: 1,
      trainingDfName: "td_test",
      additionalInfo: {},
      parameters: {},
      definition: {
        columns: {
          "case:concept:name": "CASE_ID",
          "concept:name": "ACTIVITY",
          "time:timestamp": "TIMESTAMP",
          "case:channel": "CATEGORICAL",
          future: "UNSPECIFIED",
        },
        caseAttributes: ["case:channel"],
        negativeOutcome: {
          anyOf: [
            {
              conditions: [
                { column: "DURATION", operator: "GREATER_THAN", value: "7 d" },
                { column: "ACTIVITY", operator: "EQUAL", value: "T10" },
              ],
            },
            { conditions: [{ column: "x", operator: "UNSPECIFIED", value: "" }] },
          ],
        },
      },
    });

    // A project created without a definition: the job has none (the key is absent).
    stream.trainingData({ pluginId: 2, definition: undefined });
    const legacy = await jobs.next();
    expect(legacy.pluginId).toBe(2);
    expect("definition" in legacy).toBe(false);
  });

  it("keeps a plugin written before definitions compiling and running", async () => {
    // The identity and handler of an older plugin: no neededColumns, no use of job.definition.
    const handled = new AsyncQueue<number>();
    const controller = new AbortController();
    core = await FakeCore.start();
    const done = runPlugin({
      address: core.address,
      report: { id: "old-plugin", name: "Old", type: "demo" },
      signal: controller.signal,
      onTrainingData: async (job, ctx) => {
        await ctx.reject();
        handled.push(job.pluginId);
      },
    });
    const stream = await core.streams.next();
    await nextOf(stream, "onlineReport");
    stream.trainingData({ pluginId: 5 });
    expect(await handled.next()).toBe(5);
    controller.abort();
    await done;
  });
});
