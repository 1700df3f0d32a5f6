import { status } from "@grpc/grpc-js";
import { beforeEach, expect, it } from "vitest";
import type { TrainingData } from "../../src/gen/trainingcore/v1/plugin_service.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { type Report, TestPlugin } from "../helpers/plugin-client.js";
import { createProject, watchToEnd } from "../helpers/projects.js";

describeEachDialect("plugin reports that are refused", (dialect) => {
  const env = freshCorePerTest(dialect);
  let plugin: TestPlugin;
  let other: TestPlugin;
  let td: TrainingData;
  let otherTd: TrainingData;

  beforeEach(async () => {
    plugin = await env.connect("knn");
    other = await env.connect("lstm");
    await createProject(env.core.projects, { pluginKeys: ["knn", "lstm"] });
    [td, otherTd] = [await plugin.trainingData.next(), await other.trainingData.next()];
  });

  const ids = () => ({ projectId: td.projectId, pluginId: td.pluginId });

  it("acks an exact repeat with 0 and stores no second event", async () => {
    expect((await plugin.dataReport(td)).code).toBe(status.OK);
    expect((await plugin.dataReport(td)).code).toBe(status.OK);
    expect((await plugin.trainingStart(td)).code).toBe(status.OK);
    expect((await plugin.trainingStart(td)).code).toBe(status.OK);
    expect((await plugin.dataReport(td)).code).toBe(status.OK);
    expect((await plugin.modelName(td, "m.pkl")).code).toBe(status.OK);
    expect((await plugin.modelName(td, "m.pkl")).code).toBe(status.OK);
    await other.dataReport(otherTd, false);
    const events = await watchToEnd(env.core.projects, td.projectId);
    const mine = events.filter((e) => e.pluginId === td.pluginId).map((e) => e.pluginStatus);
    expect(mine).toHaveLength(4); // WAITING, PREPROCESSING, TRAINING, TRAINED
  });

  it.each<[string, (t: TestPlugin, d: TrainingData) => Promise<unknown>, RegExp]>([
    [
      "TrainingStart before DataReport",
      (t, d) => t.trainingStart(d),
      /plugin is WAITING; send a DataReport/,
    ],
    [
      "ModelName before TrainingStart",
      (t, d) => t.dataReport(d).then(() => t.modelName(d)),
      /PREPROCESSING; send TrainingStart first/,
    ],
    [
      "DataReport(false) after DataReport(true)",
      (t, d) => t.dataReport(d).then(() => t.dataReport(d, false)),
      /already reported the dataset applicable/,
    ],
    [
      "a second, different ModelName",
      (t, d) => t.train(d).then(() => t.modelName(d, "other.pkl")),
      /already reported model/,
    ],
    [
      "ErrorReport after TRAINED",
      (t, d) => t.train(d).then(() => t.errorReport(d, "late")),
      /TRAINED; training already finished/,
    ],
    [
      "TrainingStart after NOT_APPLICABLE",
      (t, d) => t.dataReport(d, false).then(() => t.trainingStart(d)),
      /NOT_APPLICABLE/,
    ],
    [
      "DataReport after ERROR",
      (t, d) => t.errorReport(d, "boom").then(() => t.dataReport(d)),
      /ERROR; reports are no longer accepted/,
    ],
  ])("refuses %s with FAILED_PRECONDITION naming the status", async (_name, prepare, reason) => {
    await prepare(plugin, td);
    const last = plugin.acks.at(-1);
    expect(last?.code).toBe(status.FAILED_PRECONDITION);
    expect(last?.message).toMatch(reason);
  });

  it("refuses a report on another plugin's plugin_id with PERMISSION_DENIED", async () => {
    const ack = await plugin.dataReport(otherTd);
    expect(ack.code).toBe(status.PERMISSION_DENIED);
    expect(ack.message).toBe(`plugin_id ${otherTd.pluginId} belongs to plugin "lstm", not "knn"`);
  });

  it("refuses unknown ids with NOT_FOUND", async () => {
    const unknownProject = await plugin.send({
      $case: "trainingStart",
      value: { projectId: 999_999, pluginId: td.pluginId },
    });
    expect(unknownProject).toMatchObject({
      code: status.NOT_FOUND,
      message: "project 999999 does not exist",
    });
    const wrongPair = await plugin.send({
      $case: "trainingStart",
      value: { projectId: td.projectId, pluginId: 999_999 },
    });
    expect(wrongPair.code).toBe(status.NOT_FOUND);
    expect(wrongPair.message).toContain(`is not part of project ${td.projectId}`);
  });

  it.each<[string, Report | undefined, string]>([
    [
      "a missing project_id",
      { $case: "trainingStart", value: { projectId: 0, pluginId: 1 } },
      "project_id is required",
    ],
    [
      "a missing plugin_id",
      { $case: "dataReport", value: { projectId: 1, pluginId: 0, applicable: true } },
      "plugin_id is required",
    ],
    [
      "an empty model_name",
      { $case: "modelName", value: { projectId: 1, pluginId: 1, modelName: " " } },
      "model_name must not be empty",
    ],
    ["no report at all", undefined, "carries no report"],
    [
      "a project_id beyond 2^53 (no id is that large)",
      { $case: "trainingStart", value: { projectId: 2 ** 60, pluginId: 1 } },
      "beyond 2^53 - 1",
    ],
  ])("refuses %s with INVALID_ARGUMENT", async (_name, message, expected) => {
    const ack = await plugin.send(message);
    expect(ack.code).toBe(status.INVALID_ARGUMENT);
    expect(ack.message).toContain(expected);
  });

  it("keeps the stream open after refusals and acks in order", async () => {
    const sent = [
      plugin.send({ $case: "trainingStart", value: { ...ids() } }),
      plugin.dataReport(td),
      plugin.send({ $case: "trainingStart", value: { projectId: 0, pluginId: 0 } }),
      plugin.trainingStart(td),
    ];
    const acks = await Promise.all(sent);
    expect(acks.map((a) => a.code)).toEqual([
      status.FAILED_PRECONDITION,
      status.OK,
      status.INVALID_ARGUMENT,
      status.OK,
    ]);
    const sequences = plugin.acks.map((a) => a.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
  });

  it("refuses an OnlineReport for another key on a registered stream", async () => {
    const ack = await plugin.send({ $case: "onlineReport", value: other.identity() });
    expect(ack.code).toBe(status.PERMISSION_DENIED);
  });

  it("ends a stream whose first message is not an OnlineReport", async () => {
    const rogue = env.track(TestPlugin.open(env.core.address, "rogue"));
    rogue.send({ $case: "trainingStart", value: ids() }).catch(() => {});
    const end = await rogue.ended;
    expect(end).toEqual({
      code: status.INVALID_ARGUMENT,
      details: "the first message on Connect must be an OnlineReport",
    });
  });

  it("ends a stream that registers with an invalid plugin key", async () => {
    const rogue = env.track(TestPlugin.open(env.core.address, "has spaces"));
    rogue.send({ $case: "onlineReport", value: rogue.identity() }).catch(() => {});
    const end = await rogue.ended;
    expect(end.code).toBe(status.INVALID_ARGUMENT);
    expect(end.details).toContain("OnlineReport.id must be");
  });

  it("ends the stream with OK once the plugin closes its side", async () => {
    await plugin.dataReport(td);
    plugin.close();
    expect(await plugin.ended).toEqual({ code: status.OK, details: "OK" });
  });
});
