/** `training-core simulate PROJECT [--rate N] [--max N]`: replays the holdout set live. */
import { type Command, InvalidArgumentError } from "commander";
import { parseId } from "../args.js";
import { withJobsClient } from "../jobs-client.js";
import { liveDisplay, printPrescribedEvents } from "../prescribed-events.js";

function nonNegative(what: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0) {
      throw new InvalidArgumentError(`expected ${what}`);
    }
    return parsed;
  };
}

export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description(
      "replay a TRAINED project's holdout set as new live cases and print each event's prescriptions",
    )
    .argument("<project>", "the project's id (it must be TRAINED)", parseId)
    .option("--rate <n>", "events per second (default: as fast as acked)", nonNegative("a rate"), 0)
    .option("--max <n>", "at most this many events (default: all)", nonNegative("a count"), 0)
    .addHelpText(
      "after",
      [
        "",
        "On a terminal, a table of each case's latest prescriptions updated in place; otherwise a line",
        "per event as it completes, or a JSON line with --json. Ends once every replayed event came",
        "back. Ctrl-C stops sending (the events sent so far stay stored).",
        "",
        "Examples:",
        "  training-core simulate 7 --rate 20 --max 500",
      ].join("\n"),
    )
    .action(async (projectId: number, options: { rate: number; max: number }, command: Command) => {
      await withJobsClient(command, async (jobs, core, { json }) => {
        const display = await liveDisplay(core, projectId, json, `simulate ${projectId}`);
        const stream = jobs.simulate(projectId, options.rate, Math.floor(options.max));
        const { code } = await printPrescribedEvents(jobs, projectId, 0, display, {}, stream);
        return code;
      });
    });
}
