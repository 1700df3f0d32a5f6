// The live table's state and frames: latest prescriptions per case, most recently changed
// first, bounded to the terminal's width and height, counts and rate in the header.
import { describe, expect, it } from "vitest";
import {
  LiveTableState,
  MAX_CASES,
  oneLine,
  prescriptionText,
  renderLiveTable,
} from "../../../src/cli/live-table.js";
import type { PrescribedEvent } from "../../../src/gen/trainingcore/v1/prescription_service.js";

function event(
  eventId: number,
  caseId: string,
  activity: string,
  outputs: Record<string, string | null>,
  caseCompleted = false,
): PrescribedEvent {
  const prescriptions: PrescribedEvent["prescriptions"] = {};
  for (const [key, output] of Object.entries(outputs)) {
    prescriptions[key] = {
      type: "NEXT_ACTIVITY",
      output: output ?? undefined,
      detail: output === null ? "timed out after 5000 ms" : "",
      model: undefined,
    };
  }
  return {
    eventId,
    caseId,
    attributes: { activity },
    caseCompleted,
    prescriptions,
    missing: Object.keys(outputs).filter((key) => outputs[key] === null),
    postedAt: undefined,
  };
}

const big = { columns: 100, rows: 30 };

function state() {
  return new LiveTableState({
    title: "stream 7 log.csv",
    activityColumn: "activity",
    startedMs: 0,
  });
}

describe("LiveTableState and renderLiveTable", () => {
  it("shows a waiting line before the first event, with the counts it has", () => {
    const s = state();
    s.posted = 100;
    s.acked = 0;
    expect(renderLiveTable(s, big, 2000)).toEqual([
      "stream 7 log.csv · posted 100 · acked 0 · prescribed 0 · 0.0/s · 2s",
      "waiting for the first prescribed event…",
    ]);
  });

  it("keeps each case's latest prescriptions, most recently changed case first", () => {
    const s = state();
    s.apply(event(1, "c1", "register", { next: "check", alarm: "low" }));
    s.apply(event(2, "c2", "register", { next: "check", alarm: null }));
    s.apply(event(3, "c1", "check", { next: "pay" })); // alarm keeps its earlier answer
    expect(renderLiveTable(s, big, 1500)).toEqual([
      "stream 7 log.csv · prescribed 3 · 2.0/s · 1s",
      "CASE  EVENT  ACTIVITY  alarm                      next",
      "c1    #3     check     low                        pay",
      "c2    #2     register  — timed out after 5000 ms  check",
    ]);
  });

  it("marks a completed case and keeps its last prescriptions; no ACTIVITY column when unknown", () => {
    const s = new LiveTableState({ title: "watch 7", startedMs: 0 });
    s.apply(event(1, "c1", "register", { next: "check" }));
    s.apply(event(2, "c1", "pay", {}, true));
    expect(renderLiveTable(s, big, 0).slice(1)).toEqual([
      "CASE  EVENT    next",
      "c1    #2 done  check",
    ]);
  });

  it("fits the terminal's height: as many cases as lines, then how many more", () => {
    const s = state();
    for (let i = 1; i <= 50; i++) s.apply(event(i, `case-${i}`, "a", { k: String(i) }));
    const lines = renderLiveTable(s, { columns: 80, rows: 10 }, 1000);
    // 9 lines: the last line of the terminal stays free so the frame never scrolls.
    expect(lines).toHaveLength(9);
    expect(lines[1]).toMatch(/^CASE/);
    expect(lines.slice(2, 8).map((line) => line.split(/\s+/)[0])).toEqual([
      "case-50",
      "case-49",
      "case-48",
      "case-47",
      "case-46",
      "case-45",
    ]);
    expect(lines[8]).toBe("… 44 more cases");
    // Exactly as many cases as fit: no "more" line.
    const few = state();
    for (let i = 1; i <= 7; i++) few.apply(event(i, `c${i}`, "a", { k: "x" }));
    const fitting = renderLiveTable(few, { columns: 80, rows: 10 }, 0);
    expect(fitting).toHaveLength(9);
    expect(fitting.at(-1)).toMatch(/^c1 /);
  });

  it("never writes a line wider than the terminal", () => {
    const s = state();
    s.apply(
      event(1, "a-very-long-case-identifier-that-goes-on", "a".repeat(60), {
        alpha: "x".repeat(200),
        beta: "y".repeat(200),
      }),
    );
    for (const columns of [20, 40, 79, 120]) {
      const lines = renderLiveTable(s, { columns, rows: 24 }, 0);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(columns);
      expect(lines[2]?.endsWith("…")).toBe(true);
    }
    // Cells are capped (a case id at 24 characters) even on a wide terminal.
    const wide = renderLiveTable(s, { columns: 400, rows: 24 }, 0);
    expect(wide[2]).toMatch(/^a-very-long-case-identi… /);
  });

  it("keeps values on one line and strips control characters (no cursor movement from data)", () => {
    expect(oneLine("a\nb\x1b[2Jc\td")).toBe("a b [2Jc d");
    expect(
      prescriptionText({ type: "t", output: { next: "x" }, detail: "", model: undefined }),
    ).toBe('{"next":"x"}');
    const s = state();
    s.apply(event(1, "c\x1b[1A1", "re\ngister", { k: "line1\nline2" }));
    const lines = renderLiveTable(s, big, 0);
    for (const line of lines) expect([...line].every((c) => c >= " ")).toBe(true);
    expect(lines[2]).toBe("c [1A1  #1     re gister  line1 line2");
  });

  it("shows the rate from the start, and minutes past the first one", () => {
    const s = state();
    for (let i = 1; i <= 300; i++) s.apply(event(i, `c${i % 3}`, "a", {}));
    expect(renderLiveTable(s, big, 125_000)[0]).toBe(
      "stream 7 log.csv · prescribed 300 · 2.4/s · 2m05s",
    );
    expect(renderLiveTable(s, big, 20_000)[0]).toContain("· 15/s · 20s");
  });

  it("forgets the least recently changed cases beyond MAX_CASES", () => {
    const s = state();
    for (let i = 0; i < MAX_CASES + 5; i++) s.apply(event(i + 1, `c${i}`, "a", {}));
    s.apply(event(MAX_CASES + 6, "c7", "a", {})); // c7 changed again: kept, moved to the front
    expect(s.caseCount).toBe(MAX_CASES);
    expect(s.recentCases(2).map((row) => row.caseId)).toEqual(["c7", `c${MAX_CASES + 4}`]);
    const ids = new Set(s.recentCases(MAX_CASES).map((row) => row.caseId));
    expect(ids.has("c0")).toBe(false);
    expect(ids.has("c5")).toBe(true);
  });
});
