import { describe, expect, it } from "vitest";
import {
  applyRequestEvent,
  isFinishedRequestStatus,
  type RequestEvent,
  type RequestStatus,
  requestStatuses,
} from "../../../../src/domain/prescriptions/request-transitions.js";

/** The events, with the variants that matter; the stored detail is "e". */
const events = {
  delivered: { kind: "delivered" },
  part: { kind: "part", last: false, allStored: false },
  lastPart: { kind: "part", last: true, allStored: false },
  repeat: { kind: "part", last: false, allStored: true },
  repeatLast: { kind: "part", last: true, allStored: true },
  sameError: { kind: "error", detail: "e" },
  otherError: { kind: "error", detail: "other" },
  deadline: { kind: "deadline", detail: "late" },
} as const satisfies Record<string, RequestEvent>;
type EventName = keyof typeof events;

/** The next status, "dup" (accepted, no change) or "rej" (rejected). */
type Expected = RequestStatus | "dup" | "rej";

// One row per status, one column per event: the whole machine at a glance (deadline ahead).
const table: Record<RequestStatus, Record<EventName, Expected>> = {
  WAITING: {
    delivered: "RUNNING",
    part: "RUNNING",
    lastPart: "DONE",
    repeat: "dup",
    repeatLast: "DONE",
    sameError: "ERROR",
    otherError: "ERROR",
    deadline: "TIMED_OUT",
  },
  RUNNING: {
    delivered: "dup",
    part: "RUNNING",
    lastPart: "DONE",
    repeat: "dup",
    repeatLast: "DONE",
    sameError: "ERROR",
    otherError: "ERROR",
    deadline: "TIMED_OUT",
  },
  DONE: {
    delivered: "dup",
    part: "rej",
    lastPart: "rej",
    repeat: "dup",
    repeatLast: "dup",
    sameError: "rej",
    otherError: "rej",
    deadline: "dup",
  },
  ERROR: {
    delivered: "dup",
    part: "rej",
    lastPart: "rej",
    repeat: "dup",
    repeatLast: "rej",
    sameError: "dup",
    otherError: "rej",
    deadline: "dup",
  },
  TIMED_OUT: {
    delivered: "dup",
    part: "rej",
    lastPart: "rej",
    repeat: "dup",
    repeatLast: "rej",
    sameError: "rej",
    otherError: "rej",
    deadline: "dup",
  },
  NOT_SERVING: {
    delivered: "dup",
    part: "rej",
    lastPart: "rej",
    repeat: "dup",
    repeatLast: "rej",
    sameError: "rej",
    otherError: "rej",
    deadline: "dup",
  },
};

function outcomeName(status: RequestStatus, name: EventName, deadlinePassed: boolean): Expected {
  const outcome = applyRequestEvent({ status, detail: "e", deadlinePassed }, events[name]);
  if (outcome.outcome === "duplicate") return "dup";
  if (outcome.outcome === "rejected") return "rej";
  return outcome.status;
}

describe("prescription request transitions", () => {
  for (const status of requestStatuses) {
    for (const name of Object.keys(events) as EventName[]) {
      it(`${status} + ${name} → ${table[status][name]}`, () => {
        expect(outcomeName(status, name, false)).toBe(table[status][name]);
      });
    }
  }

  it("past the deadline, an open request takes nothing but exact repeats and the deadline", () => {
    for (const status of ["WAITING", "RUNNING"] as const) {
      for (const name of Object.keys(events) as EventName[]) {
        const expected =
          name === "delivered" || name === "repeat"
            ? table[status][name]
            : name === "deadline"
              ? "TIMED_OUT"
              : "rej";
        expect(outcomeName(status, name, true), `${status} + ${name}`).toBe(expected);
      }
    }
  });

  it("says why it refuses, naming the status", () => {
    const done = applyRequestEvent(
      { status: "DONE", detail: "", deadlinePassed: false },
      events.part,
    );
    expect(done).toMatchObject({
      outcome: "rejected",
      reason: expect.stringContaining("last part"),
    });
    const error = applyRequestEvent(
      { status: "ERROR", detail: "boom", deadlinePassed: false },
      events.part,
    );
    expect(error).toMatchObject({ reason: expect.stringContaining("PrescriptionError (boom)") });
    const late = applyRequestEvent(
      { status: "RUNNING", detail: "", deadlinePassed: true },
      events.part,
    );
    expect(late).toMatchObject({ reason: expect.stringContaining("deadline") });
  });

  it("keeps the error's detail, and the deadline's", () => {
    const running = { status: "RUNNING", detail: "", deadlinePassed: false } as const;
    expect(applyRequestEvent(running, events.otherError)).toEqual({
      outcome: "changed",
      status: "ERROR",
      detail: "other",
    });
    expect(applyRequestEvent(running, events.deadline)).toMatchObject({ detail: "late" });
  });

  it("finished statuses are exactly those no event moves", () => {
    for (const status of requestStatuses) {
      const moves = (Object.keys(events) as EventName[]).some((name) =>
        requestStatuses.includes(table[status][name] as RequestStatus),
      );
      expect(isFinishedRequestStatus(status)).toBe(!moves);
    }
  });
});
