import { describe, expect, it } from "vitest";
import { caseLabels, createLabeler } from "../../../../src/domain/event-log/labels.js";
import { type Columns, condition, effective, eventsOf, rule } from "../../../helpers/event-log.js";

const log: Columns = { case: "CASE_ID", task: "ACTIVITY", time: "TIMESTAMP", who: "RESOURCE" };
const approved = rule([condition("task", "EQUAL", "approve")]);
const escalated = rule([condition("task", "EQUAL", "escalate")]);

const approvedCase = eventsOf(log, [
  { case: "c", task: "submit", time: "2020-01-01T00:00:00Z", who: "ann" },
  { case: "c", task: "approve", time: "2020-01-02T00:00:00Z", who: "bob" },
]);
const rejectedCase = eventsOf(log, [
  { case: "d", task: "submit", time: "2020-01-01T00:00:00Z", who: "ann" },
  { case: "d", task: "reject", time: "2020-01-02T00:00:00Z", who: "bob" },
]);

describe("outcome", () => {
  it("is 1 for a case matching positive_outcome and 0 otherwise", () => {
    const definition = effective(log, { positiveOutcome: approved });
    expect(caseLabels(approvedCase, definition)).toEqual({ outcome: 1 });
    expect(caseLabels(rejectedCase, definition)).toEqual({ outcome: 0 });
  });

  it("is 0 for a case matching negative_outcome and 1 otherwise", () => {
    const definition = effective(log, { negativeOutcome: approved });
    expect(caseLabels(approvedCase, definition)).toEqual({ outcome: 0 });
    expect(caseLabels(rejectedCase, definition)).toEqual({ outcome: 1 });
  });

  it("treats a rule without groups as not given", () => {
    const definition = effective(log, { positiveOutcome: rule(), negativeOutcome: approved });
    expect(caseLabels(approvedCase, definition)).toEqual({ outcome: 0 });
    expect(caseLabels(approvedCase, effective(log, { positiveOutcome: rule() }))).toEqual({});
  });

  it("is absent without a rule or an OUTCOME column", () => {
    expect(caseLabels(approvedCase, effective(log))).toEqual({});
  });
});

describe("OUTCOME and TREATMENT columns of the file", () => {
  const withLabels: Columns = { ...log, ok: "OUTCOME", treated: "TREATMENT" };

  it("are read from the case's first non-empty value, in time order", () => {
    const events = eventsOf(withLabels, [
      { case: "c", task: "b", time: "2020-01-03", ok: "no", treated: "1" },
      { case: "c", task: "a", time: "2020-01-01", ok: "", treated: "" },
      { case: "c", task: "m", time: "2020-01-02", ok: "YES", treated: "0" },
    ]);
    expect(caseLabels(events, effective(withLabels))).toEqual({ outcome: 1, treatment: 0 });
  });

  it("read true/false, yes/no and 1/0 in any case", () => {
    for (const [cell, flag] of [
      ["True", 1],
      ["false", 0],
      ["yes", 1],
      ["NO", 0],
      ["1", 1],
      ["0", 0],
    ] as const) {
      const events = eventsOf(withLabels, [
        { case: "c", task: "a", time: "2020-01-01", ok: cell, treated: cell },
      ]);
      expect(caseLabels(events, effective(withLabels))).toEqual({ outcome: flag, treatment: flag });
    }
  });

  it("leave the label absent when every value of the case is empty", () => {
    const events = eventsOf(withLabels, [{ case: "c", task: "a", time: "2020-01-01" }]);
    expect(caseLabels(events, effective(withLabels))).toEqual({});
  });
});

describe("treatment and TREATMENT_RESOURCE", () => {
  it("labels treated cases 1 with the resource of the first matching event in time order", () => {
    const events = eventsOf(log, [
      { case: "c", task: "escalate", time: "2020-01-03T00:00:00Z", who: "cat" },
      { case: "c", task: "submit", time: "2020-01-01T00:00:00Z", who: "ann" },
      { case: "c", task: "escalate", time: "2020-01-02T00:00:00+01:00", who: "bob" },
    ]);
    expect(caseLabels(events, effective(log, { treatment: escalated }))).toEqual({
      treatment: 1,
      treatmentResource: "bob",
    });
  });

  it("keeps the given order among events at the same instant", () => {
    const events = eventsOf(log, [
      { case: "c", task: "escalate", time: "2020-01-02T01:00:00+01:00", who: "first" },
      { case: "c", task: "escalate", time: "2020-01-02T00:00:00Z", who: "second" },
    ]);
    expect(caseLabels(events, effective(log, { treatment: escalated })).treatmentResource).toBe(
      "first",
    );
  });

  it("puts events without a time last", () => {
    const events = eventsOf(log, [
      { case: "c", task: "escalate", time: "", who: "timeless" },
      { case: "c", task: "escalate", time: "2020-01-05", who: "timed" },
    ]);
    expect(caseLabels(events, effective(log, { treatment: escalated })).treatmentResource).toBe(
      "timed",
    );
  });

  it("labels untreated cases 0 without a resource", () => {
    expect(caseLabels(approvedCase, effective(log, { treatment: escalated }))).toEqual({
      treatment: 0,
    });
  });

  it("has no TREATMENT_RESOURCE without a RESOURCE column or when that cell is empty", () => {
    const noResource: Columns = { case: "CASE_ID", task: "ACTIVITY", time: "TIMESTAMP" };
    const events = eventsOf(noResource, [{ case: "c", task: "escalate", time: "2020-01-01" }]);
    expect(caseLabels(events, effective(noResource, { treatment: escalated }))).toEqual({
      treatment: 1,
    });
    const emptyWho = eventsOf(log, [{ case: "c", task: "escalate", time: "2020-01-01", who: "" }]);
    expect(caseLabels(emptyWho, effective(log, { treatment: escalated }))).toEqual({
      treatment: 1,
    });
  });

  it("labels outcome and treatment of the same case independently", () => {
    const events = eventsOf(log, [
      { case: "c", task: "escalate", time: "2020-01-01", who: "ann" },
      { case: "c", task: "approve", time: "2020-01-02", who: "bob" },
    ]);
    const labels = caseLabels(
      events,
      effective(log, { negativeOutcome: approved, treatment: escalated }),
    );
    expect(labels).toEqual({ outcome: 0, treatment: 1, treatmentResource: "ann" });
  });
});

describe("createLabeler", () => {
  it("labels case after case with one compiled definition", () => {
    const label = createLabeler(effective(log, { positiveOutcome: approved }));
    expect(
      [approvedCase, rejectedCase, approvedCase].map((events) => label(events).outcome),
    ).toEqual([1, 0, 1]);
    expect(label([])).toEqual({ outcome: 0 });
  });
});
