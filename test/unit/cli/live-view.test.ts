// The live view on an emulated terminal: each frame replaces the last in place (what a person
// sees is exactly the newest frame, nothing scrolls), at most ten frames a second however fast
// events come, and the last frame stays when it stops.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LiveTableState, renderLiveTable } from "../../../src/cli/live-table.js";
import { LiveView } from "../../../src/cli/live-view.js";
import type { PrescribedEvent } from "../../../src/gen/trainingcore/v1/prescription_service.js";
import { TerminalScreen } from "../../helpers/terminal-screen.js";

function event(eventId: number, caseId: string): PrescribedEvent {
  return {
    eventId,
    caseId,
    attributes: { activity: `step ${eventId}` },
    caseCompleted: false,
    prescriptions: {
      next: { type: "NEXT_ACTIVITY", output: `after ${eventId}`, detail: "", model: undefined },
    },
    missing: [],
    postedAt: undefined,
  };
}

function terminal(columns: number, rows: number) {
  const screen = new TerminalScreen(columns, rows);
  let writes = 0;
  const out = {
    columns,
    rows,
    write: (text: string) => {
      writes++;
      screen.write(text);
      return true;
    },
  };
  return { screen, out, writes: () => writes };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("LiveView", () => {
  it("redraws in place: the screen shows exactly the newest frame and never scrolls", async () => {
    const { screen, out } = terminal(60, 8);
    const state = new LiveTableState({ title: "t", activityColumn: "activity", startedMs: 0 });
    const view = new LiveView(state, out);
    expect(screen.lines()).toEqual(renderLiveTable(state, out, 0));
    for (let i = 1; i <= 40; i++) {
      state.apply(event(i, `c${i % 12}`));
      view.changed();
      await vi.advanceTimersByTimeAsync(30);
      if (i % 4 === 0) {
        await vi.advanceTimersByTimeAsync(100); // a frame has been drawn since the last event
        const frame = renderLiveTable(state, out, Date.now());
        expect(screen.lines().slice(1)).toEqual(frame.slice(1));
        expect(screen.lines()[0]).toMatch(new RegExp(`^t · prescribed ${i} · `));
      }
    }
    view.stop();
    expect(screen.lines()).toEqual(renderLiveTable(state, out, Date.now()));
    expect(screen.lines()).toHaveLength(7);
    expect(screen.scrolledOff).toEqual([]);
    expect(screen.cursorUps).toBeGreaterThan(0);
  });

  it("draws at most every 100 ms however fast events come, and once a second when idle", async () => {
    const { out, writes } = terminal(80, 24);
    const state = new LiveTableState({ title: "t", startedMs: 0 });
    const view = new LiveView(state, out);
    const first = writes();
    for (let i = 1; i <= 1000; i++) {
      state.apply(event(i, `c${i % 50}`));
      view.changed();
      await vi.advanceTimersByTimeAsync(1); // an event a millisecond for a second
    }
    const frames = writes() - first;
    expect(frames).toBeGreaterThanOrEqual(5);
    expect(frames).toBeLessThanOrEqual(11);
    const beforeIdle = writes();
    await vi.advanceTimersByTimeAsync(3000); // no events: the clock in the header moves on
    expect(writes() - beforeIdle).toBeGreaterThanOrEqual(2);
    expect(writes() - beforeIdle).toBeLessThanOrEqual(4);
    view.stop();
    const afterStop = writes();
    view.changed();
    await vi.advanceTimersByTimeAsync(5000);
    expect(writes()).toBe(afterStop);
  });

  it("a terminal that reports no size is taken as 80 × 24", () => {
    const screen = new TerminalScreen(80, 24);
    const out = {
      columns: 0,
      rows: 0,
      write: (text: string) => {
        screen.write(text);
        return true;
      },
    };
    const state = new LiveTableState({ title: "t", startedMs: 0 });
    for (let i = 1; i <= 100; i++) state.apply(event(i, `case-${i}`));
    const view = new LiveView(state, out);
    view.stop();
    expect(screen.lines()).toHaveLength(23);
    expect(screen.lines().at(-1)).toMatch(/^… \d+ more cases$/);
  });
});
