import { describe, expect, it } from "vitest";
import {
  endMarker,
  findColumns,
  NextActivityCounter,
  parseTimestamp,
} from "../../../examples/plugins/next-activity/plugin.js";

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
