/**
 * Follows a project to its end (`project watch`, `project create --wait`): WatchProject events
 * drive the progress display, GetProject gives the final table. The exit code says how the
 * project ended: 0 TRAINED, 1 ERROR.
 */
import { type Project, ProjectStatus } from "../gen/trainingcore/v1/project.js";
import type { WatchProjectResponse } from "../gen/trainingcore/v1/project_service.js";
import type { CoreClient } from "./client.js";
import { CliError, ExitCode } from "./errors.js";
import { outcomeLine, projectPluginsTable, projectStatusName } from "./format.js";
import { printJson, projectJson } from "./json.js";
import { createProgress, type ProgressMode, WatchState } from "./progress.js";

export interface FollowOptions {
  /** Events with a greater id are shown; 0 shows the whole history. */
  readonly afterEventId: number;
  /** How events are shown. */
  readonly progress: ProgressMode;
  /** How the final project is shown: a table and a line, one JSON document, or not at all. */
  readonly summary: "human" | "json" | "none";
}

/** `live` on a terminal, plain lines when stdout is a file or a pipe (or a dumb terminal). */
export function humanProgressMode(): ProgressMode {
  const { isTTY, rows, columns } = process.stdout;
  // A terminal that reports no size (some CI pseudo-terminals) cannot show a redrawn block.
  const sized = rows > 0 && columns > 0;
  return isTTY && sized && process.env.TERM !== "dumb" ? "live" : "lines";
}

export async function follow(
  client: CoreClient,
  project: Project,
  options: FollowOptions,
): Promise<number> {
  const state = new WatchState(project);
  state.lastEventId = options.afterEventId;
  const progress = createProgress(options.progress, state);
  const stream = client.watch(project.id, options.afterEventId);
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
    stream.cancel();
  };
  process.once("SIGINT", onInterrupt);
  try {
    for await (const { event } of stream as AsyncIterable<WatchProjectResponse>) {
      if (!event) continue;
      state.apply(event);
      progress.event(event);
    }
  } catch (error) {
    progress.stop();
    const hint = `follow it again with: ${resumeCommand(project.id, state.lastEventId)}`;
    if (interrupted) {
      process.stderr.write(`stopped following project ${project.id}; it goes on in the core\n`);
      process.stderr.write(`${hint}\n`);
      return ExitCode.interrupted;
    }
    const failure = client.failure(error);
    throw new CliError(failure.message, failure.exitCode, hint);
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
  progress.stop();
  const final = await client.getProject(project.id);
  if (options.summary === "json") printJson(projectJson(final));
  if (options.summary === "human") printSummary(final);
  switch (final.status) {
    case ProjectStatus.PROJECT_STATUS_TRAINED:
      return ExitCode.ok;
    case ProjectStatus.PROJECT_STATUS_ERROR:
      return ExitCode.failed;
    default:
      throw new CliError(
        `the watch ended while project ${final.id} is ${projectStatusName(final.status)}`,
        ExitCode.failed,
        `follow it again with: ${resumeCommand(project.id, state.lastEventId)}`,
      );
  }
}

function resumeCommand(projectId: number, afterEventId: number): string {
  return afterEventId > 0
    ? `training-core project watch ${projectId} --after ${afterEventId}`
    : `training-core project watch ${projectId}`;
}

function printSummary(project: Project): void {
  if (project.plugins.length > 0) process.stdout.write(`${projectPluginsTable(project.plugins)}\n`);
  process.stdout.write(`${outcomeLine(project)}\n`);
}
