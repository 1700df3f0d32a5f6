/** `training-core job results JOB`: a job's prescriptions, cases × plugin keys, or JSON lines. */
import type { Command } from "commander";
import { printResults } from "../job-results.js";
import { withJobsClient } from "../jobs-client.js";

export function registerJobResults(job: Command): void {
  job
    .command("results")
    .description(
      "print a job's prescriptions: cases × plugin keys, in the dataset's order (--json: JSON lines)",
    )
    .argument("<job>", "the job's id (job_…)")
    .action(async (jobId: string, _options: object, command: Command) => {
      await withJobsClient(command, async (jobs, _core, { json }) => {
        await printResults(jobs, await jobs.getJob(jobId), json);
        return undefined;
      });
    });
}
