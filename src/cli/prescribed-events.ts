/**
 * Reading WatchPrescriptions for the CLI: each event as a line for people
 * (`#12 case 42: next=check, alarm=— (timed out: …)`) or a JSON object, and the loop that
 * prints events until the caller stops (Ctrl-C, or `until` says so).
 */
import type { ClientReadableStream } from "@grpc/grpc-js";
import type { Prescription } from "../gen/trainingcore/v1/prescription.js";
import type { PrescribedEvent } from "../gen/trainingcore/v1/prescription_service.js";
import { ExitCode } from "./errors.js";
import type { JobsClient } from "./jobs-client.js";
import { printJsonLine } from "./json.js";

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

export interface WatchUntil {
  /** Called with each event; true ends the watch (exit code 0). */
  readonly seen?: (event: PrescribedEvent) => boolean;
  /** Ends the watch (exit code 0) once settled. */
  readonly stop?: Promise<unknown>;
}

/**
 * Prints the project's events after `afterEventId` until `until.seen` says enough or the user
 * interrupts (exit code 130, with how to resume). Resolves with the exit code.
 */
export async function printPrescribedEvents(
  jobs: JobsClient,
  projectId: number,
  afterEventId: number,
  json: boolean,
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
      if (json) printJsonLine(prescribedEventJson(event));
      else process.stdout.write(`${prescribedEventLine(event)}\n`);
      if (until.seen?.(event)) {
        done = true;
        stream.cancel();
        break;
      }
    }
    return { code: ExitCode.ok, lastEventId };
  } catch (error) {
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
  }
}
