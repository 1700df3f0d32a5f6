/** `training-core project create`: uploads a CSV dataset as a new project, optionally follows it. */
import { readFile, stat } from "node:fs/promises";
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
import { usageError } from "../errors.js";
import { follow, humanProgressMode } from "../follow.js";
import { formatMegabytes, projectStatusName } from "../format.js";
import { printJson, projectJson } from "../json.js";
import { uploadFile } from "../upload.js";

interface CreateOptions {
  readonly dataset: string;
  readonly name?: string;
  readonly description?: string;
  readonly caseColumn?: string;
  readonly holdout?: number;
  readonly plugin?: string[];
  readonly param?: PluginSetting[];
  readonly info?: PluginSetting[];
  readonly requestId?: string;
  readonly wait?: boolean;
}

/** Files larger than this are streamed with UploadDataset (with progress); smaller ones go inline. */
const uploadBytes = 1_000_000;

export function registerProjectCreate(project: Command): void {
  project
    .command("create")
    .description(
      "create a project from a CSV dataset; the core preprocesses it and the plugins train",
    )
    .requiredOption(
      "--dataset <file>",
      "the CSV file (comma, semicolon or tab separated, with a header)",
    )
    .option("--name <name>", "a name for people (default: the file's name)")
    .option("--description <text>", "a description for people")
    .option("--case-column <column>", "the column that identifies cases (default: detected)")
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
        "Examples:",
        "  training-core project create --dataset orders.csv --plugin knn --param knn.k=5 --wait",
        "  training-core project create --dataset orders.csv --name orders --holdout 0.1 --json",
      ].join("\n"),
    )
    .action(async (options: CreateOptions, command: Command) => {
      const size = await sizeOf(options.dataset);
      const pluginKeys = [...new Set(options.plugin ?? [])];
      checkSettingKeys(pluginKeys, options.param ?? [], "--param");
      checkSettingKeys(pluginKeys, options.info ?? [], "--info");
      await withClient(command, async (client, { json, timeout }) => {
        const large = size > uploadBytes;
        const datasetCsv = large ? Buffer.alloc(0) : await readDataset(options.dataset);
        const datasetId = large
          ? await upload(client.address, options.dataset, json, client.token)
          : "";
        const deadline = timeout ?? defaultTimeoutSeconds;
        const created = await client.createProject(
          // fromPartial: fields added to the request later default to empty.
          CreateProjectRequest.fromPartial({
            name: options.name ?? basename(options.dataset),
            description: options.description ?? "",
            datasetCsv,
            datasetId,
            caseIdColumn: options.caseColumn ?? "",
            holdoutFraction: options.holdout,
            pluginKeys,
            parameters: settingsByPlugin(options.param ?? []),
            additionalInfo: settingsByPlugin(options.info ?? []),
            requestId: options.requestId ?? "",
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

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw usageError(`cannot read --dataset ${path}: ${reason}`);
  }
}

/** Streams the file, showing progress on stderr (in place on a terminal). */
async function upload(
  address: string,
  path: string,
  json: boolean,
  token: string,
): Promise<string> {
  const out = process.stderr;
  const live = out.isTTY && !json;
  let shownTenth = -1;
  const result = await uploadFile(
    address,
    path,
    (sent, total) => {
      const line = `uploading ${formatMegabytes(sent)} / ${formatMegabytes(total)}`;
      if (live) out.write(`\r${line}`);
      else if (Math.floor((sent / total) * 10) > shownTenth) {
        shownTenth = Math.floor((sent / total) * 10);
        out.write(`${line}\n`);
      }
    },
    token,
  );
  if (live) out.write("\n");
  return result.datasetId;
}

async function readDataset(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw usageError(`cannot read --dataset ${path}: ${reason}`);
  }
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
