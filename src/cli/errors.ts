/** Exit codes of `training-core` and the error that carries one to main. */

export const ExitCode = {
  /** The command did what was asked; for `--wait` and `watch`: the project is TRAINED. */
  ok: 0,
  /** The project ended in ERROR, or the core answered with an error, or could not be reached. */
  failed: 1,
  /** The command line is wrong: unknown option, missing or malformed argument, unreadable file. */
  usage: 2,
  /** Interrupted with Ctrl-C while following a project (the project goes on in the core). */
  interrupted: 130,
} as const;

/** An error whose message is printed as `error: <message>` and whose code ends the process. */
export class CliError extends Error {
  override readonly name = "CliError";

  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failed,
    /** Printed on a line of its own after the message, e.g. how to resume. */
    readonly hint?: string,
  ) {
    super(message);
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, ExitCode.usage, "(run with --help for usage)");
}
