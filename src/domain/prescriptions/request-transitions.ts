/**
 * The state machine of one prescription request (one membership's part of a prescription job):
 *
 *   WAITING ──delivered──▶ RUNNING
 *   WAITING | RUNNING ──part──▶ RUNNING ──part(last)──▶ DONE
 *   WAITING | RUNNING ──PrescriptionError──▶ ERROR
 *   WAITING | RUNNING ──deadline──▶ TIMED_OUT
 *   NOT_SERVING: the key does not prescribe; nothing moves it.
 *
 * An exact repeat of what was stored (a part whose every case is stored with the same
 * prescription, the same PrescriptionError again) is a duplicate: accepted, changing nothing,
 * even after the request finished, so that a plugin may re-send every part that was not
 * acknowledged. Any other part or error once the request finished (or its deadline passed) is
 * rejected with a reason that says which. Pure: no I/O.
 */

export const requestStatuses = [
  "WAITING",
  "RUNNING",
  "DONE",
  "ERROR",
  "TIMED_OUT",
  "NOT_SERVING",
] as const;
export type RequestStatus = (typeof requestStatuses)[number];

export function isRequestStatus(value: string): value is RequestStatus {
  return (requestStatuses as readonly string[]).includes(value);
}

/** A status from which nothing moves the request any more. */
export function isFinishedRequestStatus(status: RequestStatus): boolean {
  return status !== "WAITING" && status !== "RUNNING";
}

export type RequestEvent =
  /** Handed to an instance of the key. */
  | { readonly kind: "delivered" }
  /** A PrescriptionResult; `allStored`: every case of it is stored with the same prescription. */
  | { readonly kind: "part"; readonly last: boolean; readonly allStored: boolean }
  | { readonly kind: "error"; readonly detail: string }
  /** The deadline passed (the sweeper). */
  | { readonly kind: "deadline"; readonly detail: string };

export type RequestEventKind = RequestEvent["kind"];

export interface RequestState {
  readonly status: RequestStatus;
  readonly detail: string;
  /** The request's deadline passed, whether or not the sweeper has marked it yet. */
  readonly deadlinePassed: boolean;
}

export type RequestOutcome =
  | { readonly outcome: "changed"; readonly status: RequestStatus; readonly detail: string }
  | { readonly outcome: "duplicate" }
  | { readonly outcome: "rejected"; readonly reason: string };

const duplicate: RequestOutcome = { outcome: "duplicate" };

function rejected(reason: string): RequestOutcome {
  return { outcome: "rejected", reason };
}

/** Why nothing but an exact repeat is accepted any more; undefined while the request is open. */
function closedReason(state: RequestState): string | undefined {
  switch (state.status) {
    case "DONE":
      return "the request is DONE: its last part was received already";
    case "ERROR":
      return `the request is in ERROR after a PrescriptionError (${state.detail})`;
    case "TIMED_OUT":
      return `the request is TIMED_OUT: its deadline passed (${state.detail})`;
    case "NOT_SERVING":
      return "the request is NOT_SERVING: this plugin key does not prescribe";
    default:
      return state.deadlinePassed ? "the request's deadline passed" : undefined;
  }
}

export function applyRequestEvent(state: RequestState, event: RequestEvent): RequestOutcome {
  switch (event.kind) {
    case "delivered":
      if (state.status === "WAITING") return changedTo("RUNNING", state.detail);
      return duplicate;
    case "part": {
      if (event.allStored && (!event.last || state.status === "DONE")) return duplicate;
      const closed = closedReason(state);
      if (closed) return rejected(`${closed}; only an exact repeat of a stored part is accepted`);
      return changedTo(event.last ? "DONE" : "RUNNING", "");
    }
    case "error": {
      if (state.status === "ERROR" && state.detail === event.detail) return duplicate;
      const closed = closedReason(state);
      if (closed) return rejected(closed);
      return changedTo("ERROR", event.detail);
    }
    case "deadline":
      if (isFinishedRequestStatus(state.status)) return duplicate;
      return changedTo("TIMED_OUT", event.detail);
  }
}

function changedTo(status: RequestStatus, detail: string): RequestOutcome {
  return { outcome: "changed", status, detail };
}
