/** `training-core project watch ID`: follows a project's events until it is TRAINED or in ERROR. */
import type { Command } from "commander";
import { parseEventId, parseId } from "../args.js";
import { withClient } from "../context.js";
import { follow, humanProgressMode } from "../follow.js";

export function registerProjectWatch(project: Command): void {
  project
    .command("watch")
    .description(
      "follow a project until it is TRAINED (exit 0) or in ERROR (exit 1): its stored events, then live ones",
    )
    .argument("<id>", "the project's id", parseId)
    .option(
      "--after <event-id>",
      "show only events after this one (0: every event)",
      parseEventId,
      0,
    )
    .addHelpText(
      "after",
      [
        "",
        "On a terminal the plugins' statuses are redrawn in place; otherwise one line is",
        "appended per event. With --json, one JSON object per event (JSON Lines).",
        "",
        "Examples:",
        "  training-core project watch 12",
        "  training-core project watch 12 --after 340 --json",
      ].join("\n"),
    )
    .action(async (id: number, options: { after: number }, command: Command) => {
      await withClient(command, async (client, { json }) => {
        // GetProject first: an unknown id or an unreachable core fails within the deadline.
        const found = await client.getProject(id);
        return follow(client, found, {
          afterEventId: options.after,
          progress: json ? "jsonl" : humanProgressMode(),
          summary: json ? "none" : "human",
        });
      });
    });
}
