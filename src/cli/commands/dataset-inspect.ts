/**
 * `training-core dataset inspect FILE`: what the core reads at the start of a dataset (its
 * header, the definitions it infers, the first rows, the format), to write a definition from.
 */
import type { Command } from "commander";
import { InspectDatasetRequest } from "../../gen/trainingcore/v1/dataset_service.js";
import { print, withClient } from "../context.js";
import { datasetSize, sendDataset } from "../dataset-file.js";
import { inspectionDetails } from "../inspection-format.js";
import { inspectionJson, printJson } from "../json.js";

export function registerDatasetInspect(dataset: Command): void {
  dataset
    .command("inspect")
    .description(
      "show a dataset's header, the column definitions the core infers, its first rows and format",
    )
    .argument("<file>", "the event log: CSV or XES, plain or gzip-compressed")
    .addHelpText(
      "after",
      [
        "",
        "A file of up to 1 MB is sent inline; a larger one is uploaded first (progress on",
        "stderr). The core reads only the start of it. Columns marked (TEXT) have no definition",
        "inferred from their name; define them with `project create --column NAME=DEFINITION`.",
        "",
        "Examples:",
        "  training-core dataset inspect receipt.csv",
        "  training-core dataset inspect log.xes.gz --json | jq .inferred",
      ].join("\n"),
    )
    .action(async (file: string, _options: unknown, command: Command) => {
      await datasetSize(file, "dataset file");
      await withClient(command, async (client, { json }) => {
        const sent = await sendDataset(client, file, "dataset file", json);
        const inspection = await client.inspectDataset(
          InspectDatasetRequest.fromPartial({ dataset: sent.inline, datasetId: sent.datasetId }),
        );
        if (json) printJson(inspectionJson(inspection));
        else print(inspectionDetails(inspection));
        return undefined;
      });
    });
}
