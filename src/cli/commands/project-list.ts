/** `training-core project list`: projects, newest first, one page or all of them. */
import type { Command } from "commander";
import type { Project } from "../../gen/trainingcore/v1/project.js";
import { parsePageSize } from "../args.js";
import { print, withClient } from "../context.js";
import { projectsTable } from "../format.js";
import { printJson, projectJson } from "../json.js";

interface ListOptions {
  readonly pageSize?: number;
  readonly pageToken?: string;
  readonly all?: boolean;
}

export function registerProjectList(project: Command): void {
  project
    .command("list")
    .description("list projects, newest first")
    .option(
      "--page-size <n>",
      "projects per page (the core's default is 50, at most 500)",
      parsePageSize,
    )
    .option("--page-token <token>", "continue after a previous page (its nextPageToken)")
    .option("--all", "follow the pages to the last one")
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  training-core project list",
        "  training-core project list --page-size 10 --page-token p42",
        "  training-core project list --all --json | jq '.projects | length'",
      ].join("\n"),
    )
    .action(async (options: ListOptions, command: Command) => {
      await withClient(command, async (client, { json }) => {
        const projects: Project[] = [];
        let token = options.pageToken ?? "";
        do {
          const page = await client.listProjects(options.pageSize ?? 0, token);
          projects.push(...page.projects);
          token = page.nextPageToken;
        } while (options.all && token !== "");

        if (json) {
          printJson({ projects: projects.map(projectJson), nextPageToken: token });
          return undefined;
        }
        print(projects.length > 0 ? projectsTable(projects) : "no projects");
        if (token !== "") {
          const size = options.pageSize ? ` --page-size ${options.pageSize}` : "";
          print(`more: training-core project list${size} --page-token ${token}`);
        }
        return undefined;
      });
    });
}
