/** `training-core watch-prescriptions PROJECT [--after ID]`: live prescriptions as they complete. */
import type { Command } from "commander";
import { parseEventId, parseId } from "../args.js";
import { withJobsClient } from "../jobs-client.js";
import { liveDisplay, printPrescribedEvents } from "../prescribed-events.js";

export function registerWatchPrescriptions(program: Command): void {
  program
    .command("watch-prescriptions")
    .description(
      "print a project's live events with every serving plugin's prescription, as each completes; runs until Ctrl-C",
    )
    .argument("<project>", "the project's id", parseId)
    .option(
      "--after <event-id>",
      "start after this event (resume); default: every kept event",
      parseEventId,
      0,
    )
    .addHelpText(
      "after",
      [
        "",
        "On a terminal, a table of each case's latest prescriptions updated in place (most recently",
        "changed cases first); otherwise a line per event (`#12 case 42: next=check, alarm=— (timed",
        "out: …)`), or a JSON line with --json. Ctrl-C prints the command that resumes where it stopped.",
        "",
        "Examples:",
        "  training-core watch-prescriptions 7",
        "  training-core watch-prescriptions 7 --after 1200 --json",
      ].join("\n"),
    )
    .action(async (projectId: number, options: { after: number }, command: Command) => {
      await withJobsClient(command, async (jobs, core, { json }) => {
        const display = await liveDisplay(core, projectId, json, `watch ${projectId}`);
        const { code } = await printPrescribedEvents(jobs, projectId, options.after, display);
        return code;
      });
    });
}
