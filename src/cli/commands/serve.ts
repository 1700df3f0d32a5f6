/** `training-core serve`: runs the core until SIGTERM/SIGINT, exactly as `npm start`. */
import type { Command } from "commander";
import { globalOptions } from "../context.js";

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description(
      "run the core until SIGTERM/SIGINT (as npm start); settings come from the CORE_* environment variables",
    )
    .addHelpText(
      "after",
      [
        "",
        "--address, when given, is the address to listen on (otherwise CORE_ADDRESS).",
        "",
        "Examples:",
        "  CORE_DATABASE_URL=sqlite:./data/core.db training-core serve",
        "  training-core serve --address 0.0.0.0:50051",
      ].join("\n"),
    )
    .action(async (_options: unknown, command: Command) => {
      const fromCommandLine = command.getOptionValueSourceWithGlobals("address") === "cli";
      const env = fromCommandLine
        ? { ...process.env, CORE_ADDRESS: globalOptions(command).address }
        : process.env;
      // Loaded here: the other commands start faster without the core's modules (knex, drivers).
      const { serve } = await import("../../admin.js");
      // serve() returns once the core listens; the open server keeps the process alive.
      await serve(env);
    });
}
