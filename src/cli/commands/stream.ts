/**
 * `training-core stream PROJECT --events FILE [--rate N]`: posts a CSV or XES file's events in
 * time order (at N events a second, or in batches of 100 as fast as they are acked) and shows
 * each event's prescriptions as it completes (the live table on a terminal, JSON lines with
 * --json, else a line per event); ends once every posted event was shown.
 */
import { randomUUID } from "node:crypto";
import { basename } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import type { Event } from "../../gen/trainingcore/v1/prescription_service.js";
import { parseId } from "../args.js";
import { usageError } from "../errors.js";
import type { JobsClient } from "../jobs-client.js";
import { withJobsClient } from "../jobs-client.js";
import { activityColumnOf, timeColumnOf } from "../live-columns.js";
import { LiveTableState } from "../live-table.js";
import { liveDisplay, printPrescribedEvents } from "../prescribed-events.js";

function parseRate(value: string): number {
  const rate = Number(value);
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new InvalidArgumentError("expected a positive number of events per second");
  }
  return rate;
}

/**
 * The file's events (CSV or XES, plain or gzip), stably sorted by the project's time column
 * (an event whose time does not read goes last; the core then says why it refuses it). The
 * attributes are named as preprocessing names the file's columns; empty values are left out
 * (the core reads a missing attribute as an empty one).
 */
async function eventsOf(file: string, timeColumn: string | undefined): Promise<Event[]> {
  const { EventLogFileError, readEventLogFile, readTimestamp } = await import("../../admin.js");
  let log: Awaited<ReturnType<typeof readEventLogFile>>;
  try {
    log = await readEventLogFile(file);
  } catch (error) {
    if (error instanceof EventLogFileError) throw usageError(`--events ${file}: ${error.message}`);
    throw error;
  }
  const timeIndex = timeColumn === undefined ? -1 : log.columns.indexOf(timeColumn);
  const instant = (cells: readonly string[]) =>
    (timeIndex < 0 ? undefined : readTimestamp(cells[timeIndex] ?? "")) ?? Number.POSITIVE_INFINITY;
  return log.rows
    .map((cells, index) => ({ cells, index, at: instant(cells) }))
    .sort((a, b) => (a.at === b.at ? a.index - b.index : a.at < b.at ? -1 : 1))
    .map(({ cells }) => {
      const attributes: Record<string, string> = {};
      log.columns.forEach((name, i) => {
        const value = cells[i] ?? "";
        if (value !== "") attributes[name] = value;
      });
      return { attributes, caseCompleted: false };
    });
}

interface PostProgress {
  /** Before a call: the events it sends. */
  sending(count: number): void;
  /** After a call: the ids the core gave them. */
  acked(ids: number[]): void;
}

async function postAll(
  jobs: JobsClient,
  projectId: number,
  events: Event[],
  rate: number | undefined,
  progress: PostProgress,
): Promise<void> {
  const batch = rate === undefined ? 100 : Math.max(1, Math.min(100, Math.ceil(rate / 10)));
  const prefix = `stream-${randomUUID()}`;
  const started = Date.now();
  for (let i = 0; i < events.length; i += batch) {
    if (rate !== undefined) {
      const due = started + (i / rate) * 1000;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    }
    const slice = events.slice(i, i + batch);
    progress.sending(slice.length);
    progress.acked(await jobs.postEvents(projectId, slice, `${prefix}-${i}`));
  }
}

export function registerStream(program: Command): void {
  program
    .command("stream")
    .description(
      "post a CSV or XES file's events to a TRAINED project in time order and show each case's latest prescriptions as they come",
    )
    .argument("<project>", "the project's id (it must be TRAINED)", parseId)
    .requiredOption(
      "--events <file>",
      "a CSV or XES file (plain or gzip) with the columns of the project's event log",
    )
    .option(
      "--rate <n>",
      "events per second (default: batches of 100, as fast as acked)",
      parseRate,
    )
    .addHelpText(
      "after",
      [
        "",
        "On a terminal, a table of each case's latest prescriptions updated in place (most recently",
        "changed cases first, as many as the terminal has lines), under a line with the events",
        "posted, acked and prescribed and the rate. Otherwise a line per event as it completes",
        "(`#12 case 42: next=check`), or a JSON line with --json. An XES file's attributes are",
        "posted under the names preprocessing gives them (`case:concept:name`, `concept:name`,",
        "`time:timestamp`, …).",
        "",
        "Examples:",
        "  training-core stream 7 --events running.csv --rate 50",
        "  training-core stream 7 --events running.xes.gz",
        "  training-core stream 7 --events running.csv --json > prescriptions.jsonl",
      ].join("\n"),
    )
    .action(
      async (projectId: number, options: { events: string; rate?: number }, command: Command) => {
        await withJobsClient(command, async (jobs, core, { json }) => {
          const { definition } = await core.getProject(projectId);
          const events = await eventsOf(options.events, timeColumnOf(definition));
          if (events.length === 0) return 0;
          const state = new LiveTableState({
            title: `stream ${projectId} ${basename(options.events)}`,
            activityColumn: activityColumnOf(definition),
            startedMs: Date.now(),
          });
          state.posted = 0;
          state.acked = 0;
          const display = await liveDisplay(core, projectId, json, "", state);
          try {
            return await streamEvents(jobs, projectId, events, options.rate, state, display);
          } finally {
            display.stop();
          }
        });
      },
    );
}

async function streamEvents(
  jobs: JobsClient,
  projectId: number,
  events: Event[],
  rate: number | undefined,
  state: LiveTableState,
  display: Awaited<ReturnType<typeof liveDisplay>>,
): Promise<number> {
  let firstId = 0;
  const seen = new Set<number>(); // ids shown since the first ack (ours, maybe others')
  const unseen = new Set<number>(); // ours, acked but not shown yet
  let postingDone = false;
  let resolveFirst: (id: number) => void = () => {};
  const first = new Promise<number>((resolve) => {
    resolveFirst = resolve;
  });
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const complete = () => postingDone && unseen.size === 0;
  const posting = postAll(jobs, projectId, events, rate, {
    sending: (count) => {
      state.posted = (state.posted ?? 0) + count;
      display.refresh();
    },
    acked: (posted) => {
      if (firstId === 0 && posted[0] !== undefined) {
        firstId = posted[0];
        resolveFirst(firstId);
      }
      for (const id of posted) if (!seen.has(id)) unseen.add(id);
      state.acked = (state.acked ?? 0) + posted.length;
      display.refresh();
    },
  }).then(() => {
    postingDone = true;
    if (complete()) finish();
  });
  posting.catch(() => resolveFirst(0));
  const start = await first;
  if (start === 0) await posting;
  const watching = printPrescribedEvents(jobs, projectId, start - 1, display, {
    seen: (event) => {
      if (!unseen.delete(event.eventId)) seen.add(event.eventId);
      return complete();
    },
    stop: finished,
  });
  const [{ code }] = await Promise.all([watching, posting]);
  return code;
}
