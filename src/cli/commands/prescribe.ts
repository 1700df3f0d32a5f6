/**
 * `training-core prescribe PROJECT --dataset FILE`: sends a dataset of running cases to a
 * TRAINED project and optionally follows the job, then prints every plugin's prescriptions.
 */
import type { Command } from "commander";
import { PrescribeDatasetRequest } from "../../gen/trainingcore/v1/prescription_service.js";
import { parseId } from "../args.js";
import { defaultTimeoutSeconds } from "../client.js";
import { print } from "../context.js";
import { datasetSize, sendDataset } from "../dataset-file.js";
import { jobJson, jobLine } from "../job-format.js";
import { followJob, jobExitCode, printResults } from "../job-results.js";
import { withJobsClient } from "../jobs-client.js";
import { printJson } from "../json.js";

interface PrescribeOptions {
  readonly dataset: string;
  readonly requestId?: string;
  readonly wait?: boolean;
}

export function registerPrescribe(program: Command): void {
  program
    .command("prescribe")
    .description(
      "ask the trained plugins of a project for a prescription for each running case of a dataset",
    )
    .argument("<project>", "the project's id (it must be TRAINED)", parseId)
    .requiredOption(
      "--dataset <file>",
      "the running cases: CSV or XES, plain or gzip, with the columns of the project's event log",
    )
    .option("--request-id <id>", "idempotency key: repeating it returns the first job")
    .option(
      "--wait",
      "follow the job (progress per plugin on stderr), then print the results; exit 0 when DONE, 1 when ERROR",
    )
    .addHelpText(
      "after",
      [
        "",
        "With --wait the results are a table of cases × plugin keys: each plugin's output, or",
        "`—` and why it has none; with --json, one JSON line per case instead.",
        "",
        "Examples:",
        "  training-core prescribe 7 --dataset running.csv --wait",
        "  training-core prescribe 7 --dataset running.xes.gz --wait --json > prescriptions.jsonl",
        "  training-core prescribe 7 --dataset running.csv --request-id batch-2024-05-01",
      ].join("\n"),
    )
    .action(async (projectId: number, options: PrescribeOptions, command: Command) => {
      await datasetSize(options.dataset, "--dataset");
      await withJobsClient(command, async (jobs, core, { json, timeout }) => {
        const sent = await sendDataset(core, options.dataset, "--dataset", json);
        const created = await jobs.prescribe(
          PrescribeDatasetRequest.fromPartial({
            projectId,
            datasetCsv: sent.inline,
            datasetId: sent.datasetId,
            requestId: options.requestId ?? "",
          }),
          timeout ?? defaultTimeoutSeconds,
        );
        if (!options.wait) {
          if (json) printJson(jobJson(created));
          else {
            print(`created ${jobLine(created)}`);
            print(`follow it with: training-core job get ${created.jobId} --wait`);
          }
          return undefined;
        }
        if (!json) process.stderr.write(`created job ${created.jobId}\n`);
        const finished = await followJob(jobs, created.jobId, json);
        await printResults(jobs, finished, json);
        if (!json && finished.error) print(`error: ${finished.error}`);
        return jobExitCode(finished);
      });
    });
}
