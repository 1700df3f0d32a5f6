/**
 * Reading WatchPrescriptions for the CLI: each event as a JSON line (`--json`), in the live
 * table redrawn in place on a terminal (see live-table.ts), or else as a line for people
 * (`#12 case 42: next=check, alarm=— (timed out: …)`); and the loop that shows events until the
 * caller stops (Ctrl-C, or `until` says so).
 */
import type { ClientReadableStream } from "@grpc/grpc-js";
import type { Prescription } from "../gen/trainingcore/v1/prescription.js";
import type { PrescribedEvent } from "../gen/trainingcore/v1/prescription_service.js";
import type { CoreClient } from "./client.js";
import { ExitCode } from "./errors.js";
import type { JobsClient } from "./jobs-client.js";
import { printJsonLine } from "./json.js";
import { activityColumnOf } from "./live-columns.js";
import { LiveTableState } from "./live-table.js";
import { LiveView, type TerminalOutput } from "./live-view.js";

export function prescribedEventJson(event: PrescribedEvent) {
  const prescriptions: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(event.prescriptions)) {
    prescriptions[key] = {
      type: p.type,
      output: p.output ?? null,
      detail: p.detail,
      model: p.model,
    };
  }
  return {
    event_id: event.eventId,
    case_id: event.caseId,
    attributes: event.attributes,
    case_completed: event.caseCompleted,
    prescriptions,
    missing: event.missing,
    posted_at: event.postedAt?.toISOString() ?? null,
  };
}

function outputText(p: Prescription): string {
  if (p.output === null || p.output === undefined) return `— (${p.detail})`;
  return typeof p.output === "string" ? p.output : JSON.stringify(p.output);
}

export function prescribedEventLine(event: PrescribedEvent): string {
  const head = `#${event.eventId} case ${event.caseId}`;
  if (event.caseCompleted) return `${head}: case completed`;
  const keys = Object.keys(event.prescriptions).sort();
  if (keys.length === 0) return `${head}: no plugin serves`;
  const parts = keys.map((key) => `${key}=${outputText(event.prescriptions[key] as Prescription)}`);
  return `${head}: ${parts.join(", ")}`;
}

/** Where the events go: JSON lines, the live table, or lines. */
export interface EventDisplay {
  show(event: PrescribedEvent): void;
  /** Something besides an event changed (the posted and acked counts). */
  refresh(): void;
  /** Ends the display; the table's last frame stays on the terminal. */
  stop(): void;
}

/**
 * JSON lines with `json`; the live table of `state` when `out` is a terminal; else a line per
 * event.
 */
export function eventDisplay(
  json: boolean,
  state: LiveTableState,
  out: TerminalOutput & { readonly isTTY?: boolean } = process.stdout,
): EventDisplay {
  if (json)
    return { show: (event) => printJsonLine(prescribedEventJson(event)), refresh() {}, stop() {} };
  if (!out.isTTY) {
    return {
      show: (event) => out.write(`${prescribedEventLine(event)}\n`),
      refresh() {},
      stop() {},
    };
  }
  const view = new LiveView(state, out);
  return {
    show: (event) => {
      state.apply(event);
      view.changed();
    },
    refresh: () => view.changed(),
    stop: () => view.stop(),
  };
}

/**
 * The display of a live command: on a terminal (and without --json), the table, with the
 * project's ACTIVITY column (one GetProject call); `state` when the caller keeps counts in it.
 */
export async function liveDisplay(
  core: CoreClient,
  projectId: number,
  json: boolean,
  title: string,
  state?: LiveTableState,
): Promise<EventDisplay> {
  const live = !json && process.stdout.isTTY === true;
  const table =
    state ??
    new LiveTableState({
      title,
      startedMs: Date.now(),
      activityColumn: live
        ? activityColumnOf((await core.getProject(projectId)).definition)
        : undefined,
    });
  return eventDisplay(json, table);
}

export interface WatchUntil {
  /** Called with each event; true ends the watch (exit code 0). */
  readonly seen?: (event: PrescribedEvent) => boolean;
  /** Ends the watch (exit code 0) once settled. */
  readonly stop?: Promise<unknown>;
}

/**
 * Shows the project's events after `afterEventId` until `until.seen` says enough or the user
 * interrupts (exit code 130, with how to resume); the display is stopped before the promise
 * settles. Resolves with the exit code.
 */
export async function printPrescribedEvents(
  jobs: JobsClient,
  projectId: number,
  afterEventId: number,
  display: EventDisplay,
  until: WatchUntil = {},
  stream: ClientReadableStream<{ event?: PrescribedEvent }> = jobs.watchEvents(
    projectId,
    afterEventId,
  ),
): Promise<{ code: number; lastEventId: number }> {
  let lastEventId = afterEventId;
  let interrupted = false;
  let done = false;
  const onInterrupt = () => {
    interrupted = true;
    stream.cancel();
  };
  process.once("SIGINT", onInterrupt);
  void until.stop?.finally(() => {
    done = true;
    stream.cancel();
  });
  try {
    for await (const { event } of stream as AsyncIterable<{ event?: PrescribedEvent }>) {
      if (!event) continue;
      lastEventId = event.eventId;
      display.show(event);
      if (until.seen?.(event)) {
        done = true;
        stream.cancel();
        break;
      }
    }
    return { code: ExitCode.ok, lastEventId };
  } catch (error) {
    display.stop(); // before anything goes to stderr, so the message comes after the frame
    if (done) return { code: ExitCode.ok, lastEventId };
    if (interrupted) {
      process.stderr.write(
        `stopped; resume with: training-core watch-prescriptions ${projectId} --after ${lastEventId}\n`,
      );
      return { code: ExitCode.interrupted, lastEventId };
    }
    throw jobs.failure(error, 0);
  } finally {
    process.off("SIGINT", onInterrupt);
    display.stop();
  }
}
