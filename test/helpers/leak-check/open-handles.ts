// Node's own list of what keeps the loop alive, for what the trackers cannot see being opened:
// connections a server accepted, and any other kind of handle.
import { ChildProcess } from "node:child_process";
import { Server, Socket } from "node:net";
import { describeSocket } from "./connections.js";

export function activeHandles(): ReadonlySet<object> {
  const get = (process as { _getActiveHandles?: () => unknown[] })._getActiveHandles;
  const handles = (get?.call(process) ?? []).filter(
    (h): h is object => typeof h === "object" && h !== null,
  );
  return new Set(handles);
}

/** Handles open now and not at `baseline`, except those in `tracked` or of a tracked kind. */
export function untrackedHandlesSince(
  baseline: ReadonlySet<object>,
  tracked: ReadonlySet<object>,
): string[] {
  return [...activeHandles()]
    .filter((h) => !baseline.has(h) && !tracked.has(h))
    .filter((h) => !(h instanceof ChildProcess) && !(h instanceof Server))
    .map((h) => (h instanceof Socket ? describeSocket(h) : (h.constructor?.name ?? "handle")));
}
