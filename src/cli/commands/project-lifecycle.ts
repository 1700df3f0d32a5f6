/**
 * `training-core project delete|update|retrain`: a project deleted, renamed, or trained again as
 * a new project on its stored dataset.
 */
import type { Command } from "commander";
import { CreateProjectRequest } from "../../gen/trainingcore/v1/project_service.js";
import {
  collect,
  type PluginSetting,
  parseFraction,
  parseId,
  parsePluginSetting,
  settingsByPlugin,
} from "../args.js";
import { print, withClient } from "../context.js";
import { readDefinitionFile } from "../definition-file.js";
import { usageError } from "../errors.js";
import { follow, humanProgressMode } from "../follow.js";
import { projectStatusName } from "../format.js";
import { printJson, projectJson } from "../json.js";

export function registerProjectDelete(project: Command): void {
  project
    .command("delete")
    .description(
      "delete a project: its plugins' states, events, prescription jobs, and the files only it uses (again is fine)",
    )
    .argument("<id>", "the project's id", parseId)
    .action(async (id: number, _options: unknown, command: Command) => {
      await withClient(command, async (client, { json }) => {
        await client.deleteProject(id);
        if (json) printJson({ projectId: id, deleted: true });
        else print(`deleted project ${id}`);
        return undefined;
      });
    });
}

interface UpdateOptions {
  readonly name?: string;
  readonly description?: string;
}

export function registerProjectUpdate(project: Command): void {
  project
    .command("update")
    .description("change a project's name or description")
    .argument("<id>", "the project's id", parseId)
    .option("--name <name>", "the new name")
    .option("--description <text>", "the new description ('' to clear it)")
    .action(async (id: number, options: UpdateOptions, command: Command) => {
      const updateMask = [
        ...(options.name !== undefined ? ["name"] : []),
        ...(options.description !== undefined ? ["description"] : []),
      ];
      if (updateMask.length === 0) throw usageError("give --name, --description or both");
      await withClient(command, async (client, { json }) => {
        const updated = await client.updateProject({
          projectId: id,
          name: options.name ?? "",
          description: options.description ?? "",
          updateMask,
        });
        if (json) printJson(projectJson(updated));
        else print(`updated project ${id} ${JSON.stringify(updated.name)}`);
        return undefined;
      });
    });
}

interface RetrainOptions {
  readonly name?: string;
  readonly description?: string;
  readonly definition?: string;
  readonly holdout?: number;
  readonly plugin?: string[];
  readonly param?: PluginSetting[];
  readonly info?: PluginSetting[];
  readonly requestId?: string;
  readonly wait?: boolean;
}

export function registerProjectRetrain(project: Command): void {
  project
    .command("retrain")
    .description(
      "train again: a new project on a TRAINED or ERROR project's dataset, with its settings where none are given",
    )
    .argument("<id>", "the source project's id", parseId)
    .option("--name <name>", "a name for the new project (default: the source's, with ' (again)')")
    .option("--description <text>", "a description (default: the source's)")
    .option("--definition <file.json>", "another EventLogDefinition (default: the source's)")
    .option("--holdout <fraction>", "share of the cases kept out of training", parseFraction)
    .option(
      "--plugin <key>",
      "a plugin key to train (repeatable; default: the source's)",
      collect(String),
    )
    .option(
      "--param <key.name=value>",
      "a training parameter, e.g. knn.k=9 (repeatable; with none, the source's parameters)",
      collect(parsePluginSetting),
    )
    .option(
      "--info <key.name=value>",
      "extra information for one plugin (repeatable)",
      collect(parsePluginSetting),
    )
    .option("--request-id <id>", "idempotency key: repeating it returns the first project")
    .option("--wait", "follow the new project until it is TRAINED (exit 0) or in ERROR (exit 1)")
    .addHelpText(
      "after",
      "\nExamples:\n  training-core project retrain 7 --param knn.k=9 --wait\n  training-core project retrain 7 --definition other-outcome.json --name 'orders, late = bad'",
    )
    .action(async (sourceId: number, options: RetrainOptions, command: Command) => {
      const definition = options.definition
        ? await readDefinitionFile(options.definition)
        : undefined;
      await withClient(command, async (client, { json }) => {
        const name = options.name ?? `${(await client.getProject(sourceId)).name} (again)`;
        const created = await client.createProject(
          CreateProjectRequest.fromPartial({
            name,
            description: options.description ?? "",
            sourceProjectId: sourceId,
            holdoutFraction: options.holdout,
            pluginKeys: [...new Set(options.plugin ?? [])],
            parameters: settingsByPlugin(options.param ?? []),
            additionalInfo: settingsByPlugin(options.info ?? []),
            requestId: options.requestId ?? "",
            definition,
          }),
        );
        if (!options.wait) {
          if (json) printJson(projectJson(created));
          else
            print(
              `created project ${created.id} ${JSON.stringify(created.name)} from project ${sourceId} (${projectStatusName(created.status)})`,
            );
          return undefined;
        }
        if (!json)
          print(
            `created project ${created.id} ${JSON.stringify(created.name)} from project ${sourceId}`,
          );
        return follow(client, created, {
          afterEventId: 0,
          progress: json ? "none" : humanProgressMode(),
          summary: json ? "json" : "human",
        });
      });
    });
}
