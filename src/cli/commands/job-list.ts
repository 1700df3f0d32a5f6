/** `training-core job list PROJECT`: a project's prescription jobs, newest first. */
import type { Command } from "commander";
import { parseId, parsePageSize } from "../args.js";
import { print } from "../context.js";
import { jobJson, jobsTable } from "../job-format.js";
import { withJobsClient } from "../jobs-client.js";
import { printJson } from "../json.js";

export function registerJobList(job: Command): void {
  job
    .command("list")
    .description("list a project's prescription jobs, newest first")
    .argument("<project>", "the project's id", parseId)
    .option(
      "--page-size <n>",
      "jobs per page (the core's default is 50, at most 500)",
      parsePageSize,
    )
    .option("--page-token <token>", "continue after a previous page (its nextPageToken)")
    .option("--all", "follow the pages to the last one")
    .action(
      async (
        projectId: number,
        options: { pageSize?: number; pageToken?: string; all?: boolean },
        command: Command,
      ) => {
        await withJobsClient(command, async (jobs, _core, { json }) => {
          const found = [];
          let token = options.pageToken ?? "";
          do {
            const page = await jobs.listJobs(projectId, options.pageSize ?? 0, token);
            found.push(...page.jobs);
            token = page.nextPageToken;
          } while (options.all && token !== "");
          if (json) {
            printJson({ jobs: found.map(jobJson), nextPageToken: token });
            return undefined;
          }
          print(found.length > 0 ? jobsTable(found) : "no jobs");
          if (token !== "")
            print(`more: training-core job list ${projectId} --page-token ${token}`);
          return undefined;
        });
      },
    );
}
