import { describe, expect, it } from "vitest";
import { suggestFromName, wordsOf } from "../../../../src/domain/event-log/name-rules.js";

const suggested = (name: string) => suggestFromName(name)?.definition;

describe("suggestFromName: every inference rule", () => {
  it.each([
    ["case:concept:name", "CASE_ID"],
    ["case id", "CASE_ID"],
    ["case_id", "CASE_ID"],
    ["caseid", "CASE_ID"],
    ["case", "CASE_ID"],
    ["Case ID", "CASE_ID"],
    ["CASE_ID", "CASE_ID"],
    ["CaseId", "CASE_ID"],
    ["case-id", "CASE_ID"],
    ["Case", "CASE_ID"],
    ["CASE:CONCEPT:NAME", "CASE_ID"],
    ["concept:name", "ACTIVITY"],
    ["activity", "ACTIVITY"],
    ["Activity", "ACTIVITY"],
    ["task", "ACTIVITY"],
    ["TASK", "ACTIVITY"],
    ["action", "ACTIVITY"],
    ["time:timestamp", "TIMESTAMP"],
    ["timestamp", "TIMESTAMP"],
    ["Timestamp", "TIMESTAMP"],
    ["event_timestamp", "TIMESTAMP"],
    ["EventTimestamp", "TIMESTAMP"],
    ["time_stamp", "TIMESTAMP"],
    ["start_time", "START_TIMESTAMP"],
    ["StartTime", "START_TIMESTAMP"],
    ["start date", "START_TIMESTAMP"],
    ["starttime", "START_TIMESTAMP"],
    ["startdate", "START_TIMESTAMP"],
    ["start_timestamp", "START_TIMESTAMP"],
    ["Start Timestamp", "START_TIMESTAMP"],
    ["begin_time", "START_TIMESTAMP"],
    ["begindate", "START_TIMESTAMP"],
    ["time_start", "START_TIMESTAMP"],
    ["timestart", "START_TIMESTAMP"],
    ["start_datetime", "START_TIMESTAMP"],
    ["end_time", "END_TIMESTAMP"],
    ["EndDate", "END_TIMESTAMP"],
    ["endtime", "END_TIMESTAMP"],
    ["end_timestamp", "END_TIMESTAMP"],
    ["finish_time", "END_TIMESTAMP"],
    ["finishdate", "END_TIMESTAMP"],
    ["complete_timestamp", "END_TIMESTAMP"],
    ["Complete Timestamp", "END_TIMESTAMP"],
    ["completion time", "END_TIMESTAMP"],
    ["stop_time", "END_TIMESTAMP"],
    ["stopdate", "END_TIMESTAMP"],
    ["org:resource", "RESOURCE"],
    ["resource", "RESOURCE"],
    ["Resource", "RESOURCE"],
    ["user", "RESOURCE"],
    ["user_id", "RESOURCE"],
    ["UserName", "RESOURCE"],
    ["agent", "RESOURCE"],
    ["employee", "RESOURCE"],
    ["worker", "RESOURCE"],
    ["staff", "RESOURCE"],
    ["performer", "RESOURCE"],
    ["operator", "RESOURCE"],
    ["assignee", "RESOURCE"],
    ["executor", "RESOURCE"],
    ["actor", "RESOURCE"],
    ["lifecycle:transition", "TRANSITION"],
    ["transition", "TRANSITION"],
    ["state_transition", "TRANSITION"],
    ["duration", "DURATION"],
    ["Duration (s)", "DURATION"],
    ["activity_duration", "DURATION"],
    ["cost", "COST"],
    ["Costs", "COST"],
    ["totalCost", "COST"],
    ["operator_cost", "COST"],
  ])("%j → %s", (name, definition) => {
    expect(suggested(name)).toBe(definition);
  });

  it.each([
    "case:startdate",
    "case:enddate",
    "case:responsible",
    "case:deadline",
    "concept:instance",
    "org:group",
    "amount",
    "time",
    "date",
    "start",
    "end",
    "weekend_date",
    "vendor_date",
    "calendar",
    "activity_id",
    "cases",
    "case number",
    "superuser",
    "",
  ])("%j suggests nothing", (name) => {
    expect(suggestFromName(name)).toBeUndefined();
  });

  it("ranks XES keys over synonyms over patterns", () => {
    expect(suggestFromName("case:concept:name")?.strength).toBe(0);
    expect(suggestFromName("case_id")?.strength).toBe(1);
    expect(suggestFromName("my_timestamp")?.strength).toBe(2);
  });

  it("prefers start over end, and timed roles over contained words", () => {
    expect(suggested("start_end_time")).toBe("START_TIMESTAMP");
    expect(suggested("transition_timestamp")).toBe("TIMESTAMP");
    expect(suggested("end_timestamp")).toBe("END_TIMESTAMP");
  });

  it("splits names into words at separators and camelCase humps", () => {
    expect(wordsOf("StartTime")).toEqual(["start", "time"]);
    expect(wordsOf("org:resource")).toEqual(["org", "resource"]);
    expect(wordsOf("TIMESTAMP_START")).toEqual(["timestamp", "start"]);
    expect(wordsOf("user2Name")).toEqual(["user2", "name"]);
  });
});
