/** `training-core job delete JOB`: a prescription job and its results deleted. */
import type { Command } from "commander";
import { print } from "../context.js";
import { withJobsClient } from "../jobs-client.js";
import { printJson } from "../json.js";

export function registerJobDelete(job: Command): void {
  job
    .command("delete")
    .description("delete a prescription job and its results (deleting it again is fine)")
    .argument("<job>", "the job's id (job_…)")
    .action(async (jobId: string, _options: object, command: Command) => {
      await withJobsClient(command, async (jobs, _core, { json }) => {
        await jobs.deleteJob(jobId);
        if (json) printJson({ jobId, deleted: true });
        else print(`deleted job ${jobId}`);
        return undefined;
      });
    });
}
