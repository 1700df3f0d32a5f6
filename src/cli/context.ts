/** The global options every command shares, and a client opened and closed around an action. */
import type { Command } from "commander";
import { CoreClient, defaultTimeoutSeconds } from "./client.js";

export interface GlobalOptions {
  /** host:port of the core. */
  readonly address: string;
  /** One JSON document (JSON Lines for `watch`) instead of tables. */
  readonly json: boolean;
  /** Deadline of each call in seconds; undefined: the command's default; 0: none. */
  readonly timeout: number | undefined;
  /** Consumer token sent as `authorization: Bearer …`; '' for none. */
  readonly token: string;
}

export function globalOptions(command: Command): GlobalOptions {
  const options = command.optsWithGlobals<Partial<GlobalOptions>>();
  return {
    address: options.address ?? "",
    json: options.json ?? false,
    timeout: options.timeout,
    token: options.token ?? "",
  };
}

/**
 * Runs an action with a client for the core; the action's result becomes the exit code.
 * The client is closed afterwards, so the process ends once the output is written.
 */
export async function withClient(
  command: Command,
  action: (client: CoreClient, options: GlobalOptions) => Promise<number | undefined>,
): Promise<void> {
  const options = globalOptions(command);
  const client = new CoreClient(
    options.address,
    options.timeout ?? defaultTimeoutSeconds,
    options.token,
  );
  try {
    const code = await action(client, options);
    if (code !== undefined) process.exitCode = code;
  } finally {
    client.close();
  }
}

/** Writes a line (or lines) of human output to stdout. */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
