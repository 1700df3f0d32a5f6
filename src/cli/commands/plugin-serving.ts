/**
 * `training-core plugin serve|unserve PROJECT PLUGIN`: whether a TRAINED plugin answers the
 * project's new prescription jobs.
 */
import type { Command } from "commander";
import { parseId } from "../args.js";
import { print, withClient } from "../context.js";
import { CliError } from "../errors.js";
import { printJson, projectPluginJson } from "../json.js";

export function registerPluginServing(plugin: Command): void {
  for (const [name, serving, description] of [
    ["serve", true, "let a TRAINED plugin answer the project's new prescription jobs again"],
    ["unserve", false, "leave a TRAINED plugin out of the project's new prescription jobs"],
  ] as const) {
    plugin
      .command(name)
      .description(description)
      .argument("<project>", "the project's id", parseId)
      .argument("<plugin>", "the plugin: its plugin id in the project, or its key")
      .action(async (projectId: number, wanted: string, _options: unknown, command: Command) => {
        await withClient(command, async (client, { json }) => {
          const project = await client.getProject(projectId);
          const found = /^\d+$/.test(wanted)
            ? project.plugins.find((p) => p.pluginId === Number(wanted))
            : project.plugins.find((p) => p.key === wanted);
          if (!found) {
            const known =
              project.plugins.map((p) => `${p.pluginId} (${p.key})`).join(", ") || "none";
            throw new CliError(
              `NOT_FOUND: project ${projectId} has no plugin ${JSON.stringify(wanted)}; its plugins: ${known}`,
            );
          }
          const changed = await client.setPluginServing(projectId, found.pluginId, serving);
          if (json) printJson(projectPluginJson(changed));
          else
            print(
              `${changed.key} (plugin id ${changed.pluginId}) in project ${projectId} ${changed.serving ? "serves" : "does not serve"} prescriptions`,
            );
          return undefined;
        });
      });
  }
}
