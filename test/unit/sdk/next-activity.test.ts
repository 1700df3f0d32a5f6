import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  columnsOf,
  endMarker,
  findColumns,
  findFixedColumns,
  NextActivityCounter,
  parseTimestamp,
  startNextActivityPlugin,
} from "../../../examples/plugins/next-activity/plugin.js";
import { ColumnDefinition } from "../../../src/gen/trainingcore/v1/definition.js";
import type { EventLogDefinition } from "../../../src/sdk/index.js";
import { FakeCore, nextOf } from "./fake-core.js";

const job = {
  projectId: 3,
  pluginId: 8,
  trainingDfName: "td_x",
  additionalInfo: {},
  parameters: {},
};

describe("next-activity example: model building", () => {
  it("recognises the event-log columns case-insensitively, preferring the XES names", () => {
    expect(findColumns(["Case_ID", "Activity", "Timestamp", "case"])).toEqual({
      case: { name: "Case_ID", index: 0 },
      activity: { name: "Activity", index: 1 },
      timestamp: { name: "Timestamp", index: 2 },
    });
    expect(
      findColumns(["case", "concept:name", "case:concept:name", "time", "time:timestamp"]),
    ).toEqual({
      case: { name: "case:concept:name", index: 2 },
      activity: { name: "concept:name", index: 1 },
      timestamp: { name: "time:timestamp", index: 4 },
    });
    expect(findColumns(["case", "activity"])).toBeUndefined();
    expect(findColumns(["id", "amount", "label"])).toBeUndefined();
  });

  it("counts followers per activity in timestamp order, with an end marker per case", () => {
    const columns = findColumns(["case", "event", "time"]);
    if (!columns) throw new Error("columns not found");
    const counter = new NextActivityCounter(columns);
    for (const row of [
      ["c1", "check", "2024-01-01 11:00:00"], // out of order in the file
      ["c1", "register", "2024-01-01 10:00:00"],
      ["c1", "pay", "2024-01-01 12:00:00"],
      ["c2", "register", "2024-01-02T10:00:00Z"],
      ["c2", "reject", "2024-01-02T10:00:00Z"], // same time: file order decides
      ["c3", "register", "2024-01-03T10:00:00+02:00"],
    ]) {
      counter.add(row);
    }
    expect(counter.model(job)).toEqual({
      type: "next-activity",
      projectId: 3,
      pluginId: 8,
      columns: { case: "case", activity: "event", timestamp: "time" },
      cases: 3,
      events: 6,
      start: { register: 3 },
      next: {
        check: { pay: 1 },
        pay: { [endMarker]: 1 },
        register: { check: 1, reject: 1, [endMarker]: 1 },
        reject: { [endMarker]: 1 },
      },
    });
  });

  it("refuses a timestamp it cannot read", () => {
    expect(parseTimestamp("2011-10-11 13:45:40.276000+02:00")).toBe(
      Date.parse("2011-10-11T13:45:40.276+02:00"),
    );
    const counter = new NextActivityCounter({
      case: { name: "case", index: 0 },
      activity: { name: "activity", index: 1 },
      timestamp: { name: "time", index: 2 },
    });
    expect(() => counter.add(["c1", "a", "yesterday"])).toThrow(
      'data row 1: cannot read timestamp "yesterday" in column "time"',
    );
  });
});

/** A training set as the core writes it for a project with a definition (an interval log). */
const normalized = [
  "CASE_ID,ACTIVITY,START_TIMESTAMP,END_TIMESTAMP,RESOURCE,OUTCOME,EVENT_ATTRIBUTE_TEXT_time",
  "c1,register,2024-01-01T09:00:00.000Z,2024-01-01T10:00:00.000Z,ann,1,late",
  "c1,check,2024-01-01T10:30:00.000Z,2024-01-01T11:00:00.000Z,bob,1,",
  "c2,register,2024-01-02T09:00:00.000Z,2024-01-02T10:00:00.000Z,ann,0,",
  "",
].join("\n");
const definition: EventLogDefinition = {
  columns: { case: "CASE_ID", task: "ACTIVITY", from: "START_TIMESTAMP", to: "END_TIMESTAMP" },
  caseAttributes: [],
};

describe("next-activity example: the columns it reads", () => {
  it("reads the fixed names of a training set made with a definition, exactly", () => {
    const header = normalized.split("\n")[0]?.split(",") ?? [];
    expect(findFixedColumns(header)).toEqual({
      case: { name: "CASE_ID", index: 0 },
      activity: { name: "ACTIVITY", index: 1 },
      timestamp: { name: "END_TIMESTAMP", index: 3 },
    });
    expect(
      findFixedColumns(["CASE_ID", "ACTIVITY", "END_TIMESTAMP", "TIMESTAMP"])?.timestamp,
    ).toEqual({ name: "TIMESTAMP", index: 3 });
    expect(findFixedColumns(["case_id", "activity", "timestamp"])).toBeUndefined();
    // Guessing would find no timestamp here (and takes any `case_id` for the case).
    expect(findColumns(header)).toBeUndefined();
  });

  it("guesses only for a job without a definition, and names a definition's missing columns", () => {
    expect(columnsOf(job, ["case", "Activity", "time"])?.activity).toEqual({
      name: "Activity",
      index: 1,
    });
    expect(() => columnsOf({ ...job, definition }, ["case", "Activity", "time"])).toThrow(
      'must have the columns CASE_ID, ACTIVITY and TIMESTAMP or END_TIMESTAMP; its header is ["case","Activity","time"]',
    );
  });
});

describe("next-activity example against a fake core", () => {
  const controller = new AbortController();
  let core: FakeCore;
  let modelDir: string;
  let running: Promise<void>;

  afterEach(async () => {
    controller.abort();
    await running;
    await core.stop();
    await rm(modelDir, { recursive: true, force: true });
  });

  it("declares what it needs and trains on a normalized training set", async () => {
    core = await FakeCore.start();
    modelDir = await mkdtemp(join(tmpdir(), "next-activity-"));
    running = startNextActivityPlugin({
      address: core.address,
      modelDir,
      signal: controller.signal,
    });
    const stream = await core.streams.next();
    expect((await nextOf(stream, "onlineReport")).message.value.neededColumns).toEqual([
      ColumnDefinition.COLUMN_DEFINITION_CASE_ID,
      ColumnDefinition.COLUMN_DEFINITION_ACTIVITY,
    ]);
    core.datasets.set("td_normalized", [Buffer.from(normalized)]);

    stream.trainingData({
      projectId: 4,
      pluginId: 7,
      trainingDfName: "td_normalized",
      definition: {
        columns: {
          case: ColumnDefinition.COLUMN_DEFINITION_CASE_ID,
          task: ColumnDefinition.COLUMN_DEFINITION_ACTIVITY,
          from: ColumnDefinition.COLUMN_DEFINITION_START_TIMESTAMP,
          to: ColumnDefinition.COLUMN_DEFINITION_END_TIMESTAMP,
        },
        caseAttributes: [],
        positiveOutcome: undefined,
        negativeOutcome: undefined,
        treatment: undefined,
      },
    });
    const trained = await nextOf(stream, "modelName");
    expect(trained.message.value.modelName).toBe("next-activity-4-7.json");
    // Stored with the core before ModelName, so any instance of the key can answer for it.
    expect(core.models.get("4/7")?.modelName).toBe("next-activity-4-7.json");
    const model = JSON.parse(await readFile(join(modelDir, "next-activity-4-7.json"), "utf8"));
    expect(model).toMatchObject({
      columns: { case: "CASE_ID", activity: "ACTIVITY", timestamp: "END_TIMESTAMP" },
      cases: 2,
      events: 3,
      start: { register: 2 },
      next: { register: { check: 1, [endMarker]: 1 }, check: { [endMarker]: 1 } },
    });

    // The same file without a definition: guessing finds no timestamp, so not applicable.
    stream.trainingData({ projectId: 5, pluginId: 8, trainingDfName: "td_normalized" });
    const report = await nextOf(stream, "dataReport");
    expect(report.message.value).toEqual({ projectId: 5, pluginId: 8, applicable: false });
  });
});
