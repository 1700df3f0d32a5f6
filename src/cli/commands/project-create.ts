/**
 * `training-core project create`: sends an event log (CSV or XES) as a new project, with its
 * definition when one is given, and optionally follows it.
 */
import { basename } from "node:path";
import type { Command } from "commander";
import { CreateProjectRequest } from "../../gen/trainingcore/v1/project_service.js";
import {
  collect,
  type PluginSetting,
  parseFraction,
  parsePluginSetting,
  settingsByPlugin,
} from "../args.js";
import { defaultTimeoutSeconds } from "../client.js";
import { print, withClient } from "../context.js";
import { datasetSize, sendDataset } from "../dataset-file.js";
import { type ColumnSetting, mergeDefinition, parseColumnSetting } from "../definition-args.js";
import { readDefinitionFile } from "../definition-file.js";
import { columnDefinitionNames } from "../definition-names.js";
import { usageError } from "../errors.js";
import { follow, humanProgressMode } from "../follow.js";
import { projectStatusName } from "../format.js";
import { printJson, projectJson } from "../json.js";

interface CreateOptions {
  readonly dataset: string;
  readonly name?: string;
  readonly description?: string;
  readonly caseColumn?: string;
  readonly column?: ColumnSetting[];
  readonly caseAttribute?: string[];
  readonly definition?: string;
  readonly holdout?: number;
  readonly plugin?: string[];
  readonly param?: PluginSetting[];
  readonly info?: PluginSetting[];
  readonly requestId?: string;
  readonly wait?: boolean;
}

export function registerProjectCreate(project: Command): void {
  project
    .command("create")
    .description(
      "create a project from an event log; the core preprocesses it and the plugins train",
    )
    .requiredOption(
      "--dataset <file>",
      "the event log: CSV (comma, semicolon or tab separated, with a header) or XES, plain or gzip",
    )
    .option("--name <name>", "a name for people (default: the file's name)")
    .option("--description <text>", "a description for people")
    .option("--case-column <column>", "the column that identifies cases (default: detected)")
    .option(
      "--column <name=definition>",
      "what a column means, e.g. 'Case ID=case_id' (repeatable; see below)",
      collect(parseColumnSetting),
    )
    .option(
      "--case-attribute <name>",
      "a column whose value is constant within a case (repeatable)",
      collect(String),
    )
    .option(
      "--definition <file.json>",
      "an EventLogDefinition in protobuf JSON: columns, case attributes, outcome and treatment rules",
    )
    .option(
      "--holdout <fraction>",
      "share of the cases kept out of training, in [0, 1) (default: 0.2)",
      parseFraction,
    )
    .option(
      "--plugin <key>",
      "a plugin key to train (repeatable; default: every plugin online)",
      collect(String),
    )
    .option(
      "--param <key.name=value>",
      "a training parameter for one plugin, e.g. knn.k=5 (repeatable)",
      collect(parsePluginSetting),
    )
    .option(
      "--info <key.name=value>",
      "extra information for one plugin (repeatable)",
      collect(parsePluginSetting),
    )
    .option("--request-id <id>", "idempotency key: repeating it returns the first project")
    .option("--wait", "follow the project until it is TRAINED (exit 0) or in ERROR (exit 1)")
    .addHelpText(
      "after",
      [
        "",
        "Values of --param and --info are JSON when they parse as JSON (5, true, null, [1,2],",
        '{"a":1}, "\\"quoted\\""), otherwise text. The name is what follows the last dot.',
        "",
        "Event-log definition (`training-core dataset inspect FILE` shows what the core infers):",
        "  --column NAME=DEFINITION, DEFINITION in any case, one of:",
        ...wrapped(columnDefinitionNames.map((name) => name.toLowerCase()).join(", "), "    "),
        "  Columns left undefined are inferred from their names, else text attributes.",
        "  --definition is read first; each --column then sets its column's definition over the",
        "  file's, and each --case-attribute is added to the file's list. Outcome and treatment",
        "  rules come from the file only. Without any of the three options the project has no",
        "  definition, and the training set keeps the file's header. In the file, enum values",
        "  have their full names (COLUMN_DEFINITION_CASE_ID, OPERATOR_GREATER_THAN, …);",
        "  `project get ID --json | jq .definition` prints one in that form.",
        "",
        "Examples:",
        "  training-core project create --dataset orders.csv --plugin knn --param knn.k=5 --wait",
        "  training-core project create --dataset orders.csv --name orders --holdout 0.1 --json",
        "  training-core project create --dataset receipt.csv --definition receipt.json \\",
        "    --column concept:instance=ignored --case-attribute case:department --wait",
      ].join("\n"),
    )
    .action(async (options: CreateOptions, command: Command) => {
      await datasetSize(options.dataset, "--dataset");
      const pluginKeys = [...new Set(options.plugin ?? [])];
      checkSettingKeys(pluginKeys, options.param ?? [], "--param");
      checkSettingKeys(pluginKeys, options.info ?? [], "--info");
      const definition = mergeDefinition({
        file: options.definition ? await readDefinitionFile(options.definition) : undefined,
        columns: options.column ?? [],
        caseAttributes: options.caseAttribute ?? [],
      });
      await withClient(command, async (client, { json, timeout }) => {
        const sent = await sendDataset(client, options.dataset, "--dataset", json);
        const deadline = timeout ?? defaultTimeoutSeconds;
        const created = await client.createProject(
          // fromPartial: fields added to the request later default to empty.
          CreateProjectRequest.fromPartial({
            name: options.name ?? basename(options.dataset),
            description: options.description ?? "",
            datasetCsv: sent.inline,
            datasetId: sent.datasetId,
            caseIdColumn: options.caseColumn ?? "",
            holdoutFraction: options.holdout,
            pluginKeys,
            parameters: settingsByPlugin(options.param ?? []),
            additionalInfo: settingsByPlugin(options.info ?? []),
            requestId: options.requestId ?? "",
            definition,
          }),
          deadline,
        );
        if (!options.wait) {
          if (json) printJson(projectJson(created));
          else {
            print(
              `created project ${created.id} ${JSON.stringify(created.name)} (${projectStatusName(created.status)})`,
            );
            print(`follow it with: training-core project watch ${created.id}`);
          }
          return undefined;
        }
        if (!json) print(`created project ${created.id} ${JSON.stringify(created.name)}`);
        return follow(client, created, {
          afterEventId: 0,
          progress: json ? "none" : humanProgressMode(),
          summary: json ? "json" : "human",
        });
      });
    });
}

/** With --plugin given, settings for other keys would be refused by the core: say so now. */
function checkSettingKeys(
  keys: readonly string[],
  settings: readonly PluginSetting[],
  flag: string,
) {
  if (keys.length === 0) return;
  const strays = [...new Set(settings.map((s) => s.key).filter((key) => !keys.includes(key)))];
  if (strays.length > 0) {
    throw usageError(
      `${flag} names plugin key(s) not given with --plugin: ${strays.join(", ")} (--plugin: ${keys.join(", ")})`,
    );
  }
}

/** `text` in lines of at most 80 characters, each starting with `indent`, broken after commas. */
function wrapped(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of text.split(" ")) {
    if (line.length + word.length + 1 > 80 && line.trim() !== "") {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines;
}
