/** `training-core plugins`: every plugin key the core has seen, with its online state. */
import type { Command } from "commander";
import { print, withClient } from "../context.js";
import { pluginsTable } from "../format.js";
import { pluginInfoJson, printJson } from "../json.js";

export function registerPlugins(program: Command): void {
  program
    .command("plugins")
    .description("list the plugins the core has seen, with their online state")
    .addHelpText(
      "after",
      "\nExamples:\n  training-core plugins\n  training-core plugins --json | jq -r '.plugins[] | select(.online) | .key'",
    )
    .action(async (_options: unknown, command: Command) => {
      await withClient(command, async (client, { json }) => {
        const plugins = await client.listPlugins();
        if (json) printJson({ plugins: plugins.map(pluginInfoJson) });
        else print(plugins.length > 0 ? pluginsTable(plugins) : "no plugin has connected yet");
        return undefined;
      });
    });
}
