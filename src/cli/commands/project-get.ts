/** `training-core project get ID`: one project with its dataset and plugins. */
import type { Command } from "commander";
import { parseId } from "../args.js";
import { print, withClient } from "../context.js";
import { printJson, projectJson } from "../json.js";
import { projectDetails } from "../project-details.js";

export function registerProjectGet(project: Command): void {
  project
    .command("get")
    .description("show one project: its fields, dataset and plugins")
    .argument("<id>", "the project's id", parseId)
    .addHelpText(
      "after",
      "\nExamples:\n  training-core project get 12\n  training-core project get 12 --json | jq -r .status",
    )
    .action(async (id: number, _options: unknown, command: Command) => {
      await withClient(command, async (client, { json }) => {
        const found = await client.getProject(id);
        if (json) printJson(projectJson(found));
        else print(projectDetails(found));
        return undefined;
      });
    });
}
