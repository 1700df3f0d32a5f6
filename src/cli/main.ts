#!/usr/bin/env node
/**
 * `training-core`: the consumers' command line (see `training-core --help`).
 * Exit codes: 0 success, 1 project in ERROR or a failed call, 2 usage error, 130 interrupted.
 */
import { CommanderError } from "commander";
import { CliError, ExitCode } from "./errors.js";
import { buildProgram } from "./program.js";

function fail(message: string, hint?: string): void {
  process.stderr.write(`error: ${message}\n${hint ? `${hint}\n` : ""}`);
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the message (or the help, or the version) already.
      process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    } else if (error instanceof CliError) {
      fail(error.message, error.hint);
      process.exitCode = error.exitCode;
    } else {
      fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = ExitCode.failed;
    }
  }
}

// `training-core … | head` closes stdout early: stop quietly instead of crashing on EPIPE.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? ExitCode.ok);
  throw error;
});

void main(process.argv);
