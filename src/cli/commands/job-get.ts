/** `training-core job get JOB [--wait]`: a prescription job and its plugins. */
import type { Command } from "commander";
import { print } from "../context.js";
import { jobDetails, jobJson } from "../job-format.js";
import { followJob, jobExitCode } from "../job-results.js";
import { withJobsClient } from "../jobs-client.js";
import { printJson } from "../json.js";

export function registerJobGet(job: Command): void {
  job
    .command("get")
    .description("show a prescription job and its plugins")
    .argument("<job>", "the job's id (job_…)")
    .option("--wait", "follow the job until it is DONE (exit 0) or in ERROR (exit 1) first")
    .action(async (jobId: string, options: { wait?: boolean }, command: Command) => {
      await withJobsClient(command, async (jobs, _core, { json }) => {
        const shown = options.wait ? await followJob(jobs, jobId, json) : await jobs.getJob(jobId);
        if (json) printJson(jobJson(shown));
        else print(jobDetails(shown));
        return options.wait ? jobExitCode(shown) : undefined;
      });
    });
}
