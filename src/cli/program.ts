/** The command tree: global options, the commands, and help that documents the exit codes. */
import { createRequire } from "node:module";
import { Command, Option } from "commander";
import { parseSeconds } from "./args.js";
import { defaultAddress, defaultTimeoutSeconds } from "./client.js";
import { registerConformance } from "./commands/conformance.js";
import { registerDatasetInspect } from "./commands/dataset-inspect.js";
import { registerJobDelete } from "./commands/job-delete.js";
import { registerJobGet } from "./commands/job-get.js";
import { registerJobList } from "./commands/job-list.js";
import { registerJobResults } from "./commands/job-results.js";
import { registerModelDownload } from "./commands/model-download.js";
import { registerPluginServing } from "./commands/plugin-serving.js";
import { registerPlugins } from "./commands/plugins.js";
import { registerPrescribe } from "./commands/prescribe.js";
import { registerProjectCreate } from "./commands/project-create.js";
import { registerProjectGet } from "./commands/project-get.js";
import {
  registerProjectDelete,
  registerProjectRetrain,
  registerProjectUpdate,
} from "./commands/project-lifecycle.js";
import { registerProjectList } from "./commands/project-list.js";
import { registerProjectWatch } from "./commands/project-watch.js";
import { registerServe } from "./commands/serve.js";
import { registerSimulate } from "./commands/simulate.js";
import { registerStream } from "./commands/stream.js";
import { registerToken } from "./commands/token.js";
import { registerWatchPrescriptions } from "./commands/watch-prescriptions.js";

// src/cli and dist/cli are both two levels below package.json.
const { version } = createRequire(import.meta.url)("../../package.json") as { version: string };

const helpFooter = `
Exit codes:
  0    success; for --wait and watch: the project is TRAINED (the job is DONE)
  1    the project (or job) ended in ERROR, the core answered with an error, or it was not reachable
  2    usage error: unknown option or command, missing or malformed argument, unreadable file,
       or a request the core refused as INVALID_ARGUMENT (e.g. a definition that does not fit)
  130  interrupted (Ctrl-C) while following a project or job; it goes on in the core

Errors are printed to stderr as "error: <GRPC_CODE>: <details>",
e.g. "error: NOT_FOUND: project 9 does not exist".`;

export function buildProgram(): Command {
  const program = new Command("training-core")
    .description(
      "Command line for the Training Core: run it, inspect datasets, create projects, follow their training",
    )
    .version(version, "-V, --version")
    .addOption(
      new Option("--address <host:port>", "address of the core")
        .env("CORE_ADDRESS")
        .default(defaultAddress),
    )
    .addOption(
      new Option("--token <token>", "a consumer token, when the core requires tokens").env(
        "CORE_TOKEN",
      ),
    )
    .option("--json", "print one JSON document (JSON Lines for project watch) for scripts")
    .addOption(
      new Option(
        "--timeout <seconds>",
        `deadline of each request (default: ${defaultTimeoutSeconds}, more for large uploads; 0: none)`,
      ).argParser(parseSeconds),
    )
    // Usage errors throw instead of exiting: main maps them to exit code 2.
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureHelp({ showGlobalOptions: true })
    .addHelpText("after", helpFooter);

  registerServe(program);
  registerConformance(program);
  registerPlugins(program);
  const plugin = program
    .command("plugin")
    .description("choose which trained plugins of a project serve prescriptions");
  registerPluginServing(plugin);
  const project = program
    .command("project")
    .description("create, show, list, follow, rename, train again and delete projects");
  registerProjectCreate(project);
  registerProjectGet(project);
  registerProjectList(project);
  registerProjectWatch(project);
  registerProjectUpdate(project);
  registerProjectRetrain(project);
  registerProjectDelete(project);
  const dataset = program
    .command("dataset")
    .description("look at a dataset before creating a project");
  registerDatasetInspect(dataset);
  registerPrescribe(program);
  registerStream(program);
  registerSimulate(program);
  registerWatchPrescriptions(program);
  const job = program
    .command("job")
    .description("show, list and delete prescription jobs, and print their results");
  registerJobGet(job);
  registerJobList(job);
  registerJobDelete(job);
  registerJobResults(job);
  const model = program
    .command("model")
    .description("export the models plugins stored in the core");
  registerModelDownload(model);
  registerToken(program);
  return program;
}
