/**
 * `training-core model download PROJECT PLUGIN [-o FILE]`: exports a model stored in the core
 * (ModelService.DownloadModel) to a file, resuming by itself when the connection drops.
 */
import { basename } from "node:path";
import type { Command } from "commander";
import type { ProjectPlugin } from "../../gen/trainingcore/v1/project.js";
import { downloadModel } from "../../sdk/index.js";
import { parseId } from "../args.js";
import type { CoreClient } from "../client.js";
import { print, withClient } from "../context.js";
import { CliError } from "../errors.js";
import { formatMegabytes } from "../format.js";
import { printJson } from "../json.js";

/** A plugin of the project, by its plugin id (a number) or its key. */
function findPlugin(plugins: readonly ProjectPlugin[], plugin: string): ProjectPlugin | undefined {
  return /^\d+$/.test(plugin)
    ? plugins.find((p) => p.pluginId === Number(plugin))
    : plugins.find((p) => p.key === plugin);
}

/** The model's name when it is a plain file name, else `model-PROJECT-PLUGIN_ID`. */
function defaultFileName(projectId: number, plugin: ProjectPlugin): string {
  const name = plugin.modelName;
  const plain = name !== "" && name === basename(name) && name !== "." && name !== "..";
  return plain ? name : `model-${projectId}-${plugin.pluginId}`;
}

async function download(
  client: CoreClient,
  projectId: number,
  pluginArg: string,
  output: string | undefined,
): Promise<{ plugin: ProjectPlugin; path: string; sizeBytes: number }> {
  const project = await client.getProject(projectId);
  const plugin = findPlugin(project.plugins, pluginArg);
  if (!plugin) {
    const known = project.plugins.map((p) => `${p.pluginId} (${p.key})`).join(", ") || "none";
    throw new CliError(
      `NOT_FOUND: project ${projectId} has no plugin ${pluginArg}; its plugins: ${known}`,
    );
  }
  const path = output ?? defaultFileName(projectId, plugin);
  try {
    const model = await downloadModel(client.models, projectId, plugin.pluginId, { path });
    return { plugin, path, sizeBytes: model.sizeBytes };
  } catch (error) {
    throw client.failure(error, 0, client.models.getChannel());
  }
}

export function registerModelDownload(model: Command): void {
  model
    .command("download")
    .description("export a model a plugin stored in the core to a file")
    .argument("<project>", "the project's id", parseId)
    .argument("<plugin>", "the plugin: its plugin id in the project, or its key")
    .option(
      "-o, --output <file>",
      "where to write the model (default: the model's name, or model-PROJECT-PLUGIN_ID)",
    )
    .addHelpText(
      "after",
      "\nExamples:\n  training-core model download 12 knn\n  training-core model download 12 31 -o knn-12.bin",
    )
    .action(
      async (projectId: number, plugin: string, options: { output?: string }, command: Command) => {
        await withClient(command, async (client, { json }) => {
          const saved = await download(client, projectId, plugin, options.output);
          const { pluginId, key, modelName } = saved.plugin;
          if (json) {
            printJson({
              projectId,
              pluginId,
              key,
              modelName,
              path: saved.path,
              sizeBytes: saved.sizeBytes,
            });
          } else {
            print(
              `saved model "${modelName}" of ${key} (plugin id ${pluginId}) in project ${projectId} to ${saved.path} (${formatMegabytes(saved.sizeBytes)})`,
            );
          }
          return undefined;
        });
      },
    );
}
