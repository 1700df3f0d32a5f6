/**
 * `training-core stream PROJECT --events FILE [--rate N]`: posts a CSV file's events in time
 * order (at N events a second, or in batches of 100 as fast as they are acked) and prints each
 * event's prescriptions as it completes; ends once every posted event was shown.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { parse } from "csv-parse/sync";
import { ColumnDefinition } from "../../gen/trainingcore/v1/definition.js";
import type { Event } from "../../gen/trainingcore/v1/prescription_service.js";
import { parseId } from "../args.js";
import { usageError } from "../errors.js";
import type { JobsClient } from "../jobs-client.js";
import { withJobsClient } from "../jobs-client.js";
import { printPrescribedEvents } from "../prescribed-events.js";

const timeDefinitions = [
  ColumnDefinition.COLUMN_DEFINITION_TIMESTAMP,
  ColumnDefinition.COLUMN_DEFINITION_START_TIMESTAMP,
  ColumnDefinition.COLUMN_DEFINITION_END_TIMESTAMP,
];

function parseRate(value: string): number {
  const rate = Number(value);
  if (!Number.isFinite(rate) || rate <= 0) {
    throw new InvalidArgumentError("expected a positive number of events per second");
  }
  return rate;
}

/** The file's rows as events, stably sorted by the project's time column. */
async function eventsOf(file: string, timeColumn: string | undefined): Promise<Event[]> {
  if (/\.xes(\.gz)?$/i.test(file)) {
    throw usageError(`--events ${file}: only CSV files can be streamed for now`);
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw usageError(`--events ${file}: ${(error as Error).message}`);
  }
  const rows = parse(text, { columns: true, bom: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  const instant = (row: Record<string, string>) => {
    const ms = timeColumn === undefined ? Number.NaN : Date.parse(row[timeColumn] ?? "");
    return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
  };
  return rows
    .map((row, index) => ({ row, index, at: instant(row) }))
    .sort((a, b) => (a.at === b.at ? a.index - b.index : a.at < b.at ? -1 : 1))
    .map(({ row }) => ({ attributes: row, caseCompleted: false }));
}

async function postAll(
  jobs: JobsClient,
  projectId: number,
  events: Event[],
  rate: number | undefined,
  posted: (ids: number[]) => void,
): Promise<void> {
  const batch = rate === undefined ? 100 : Math.max(1, Math.min(100, Math.ceil(rate / 10)));
  const prefix = `stream-${randomUUID()}`;
  const started = Date.now();
  for (let i = 0; i < events.length; i += batch) {
    if (rate !== undefined) {
      const due = started + (i / rate) * 1000;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    }
    posted(await jobs.postEvents(projectId, events.slice(i, i + batch), `${prefix}-${i}`));
  }
}

export function registerStream(program: Command): void {
  program
    .command("stream")
    .description(
      "post a CSV file's events to a TRAINED project in time order and print each event's prescriptions as they come",
    )
    .argument("<project>", "the project's id (it must be TRAINED)", parseId)
    .requiredOption("--events <file>", "a CSV file with the columns of the project's event log")
    .option(
      "--rate <n>",
      "events per second (default: batches of 100, as fast as acked)",
      parseRate,
    )
    .addHelpText(
      "after",
      [
        "",
        "A line per event as it completes (`#12 case 42: next=check`), or a JSON line with --json.",
        "",
        "Examples:",
        "  training-core stream 7 --events running.csv --rate 50",
        "  training-core stream 7 --events running.csv --json > prescriptions.jsonl",
      ].join("\n"),
    )
    .action(
      async (projectId: number, options: { events: string; rate?: number }, command: Command) => {
        await withJobsClient(command, async (jobs, core, { json }) => {
          const project = await core.getProject(projectId);
          const columns = Object.entries(project.definition?.columns ?? {});
          const timeColumn = timeDefinitions
            .map((definition) => columns.find(([, d]) => d === definition)?.[0])
            .find((name) => name !== undefined);
          const events = await eventsOf(options.events, timeColumn);
          if (events.length === 0) return 0;
          const ids = new Set<number>();
          const seen = new Set<number>();
          let postingDone = false;
          let resolveFirst: (id: number) => void = () => {};
          const first = new Promise<number>((resolve) => {
            resolveFirst = resolve;
          });
          let finish: () => void = () => {};
          const finished = new Promise<void>((resolve) => {
            finish = resolve;
          });
          const complete = () => postingDone && [...ids].every((id) => seen.has(id));
          const posting = postAll(jobs, projectId, events, options.rate, (posted) => {
            if (ids.size === 0 && posted[0] !== undefined) resolveFirst(posted[0]);
            for (const id of posted) ids.add(id);
          }).then(() => {
            postingDone = true;
            if (complete()) finish();
          });
          posting.catch(() => resolveFirst(0));
          const start = await first;
          if (start === 0) await posting;
          const watching = printPrescribedEvents(jobs, projectId, start - 1, json, {
            seen: (event) => {
              if (ids.has(event.eventId) || event.eventId >= start) seen.add(event.eventId);
              return complete();
            },
            stop: finished,
          });
          const [{ code }] = await Promise.all([watching, posting]);
          return code;
        });
      },
    );
}
