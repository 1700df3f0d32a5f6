#!/usr/bin/env node
/**
 * The training core's process, top to bottom: config → logger → core (store → app → servers,
 * composed by `startCore`); SIGTERM/SIGINT → drain → exit 0. `npm start` runs this file;
 * `training-core serve` calls `serve()`.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConfigError, type CoreConfig, loadConfig } from "./config.js";
import { type RunningCore, startCore } from "./core.js";
import { createLogger, type Logger } from "./logger.js";

/** Runs the core until SIGTERM/SIGINT; resolves once it serves (its server keeps the process up). */
export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = configOrExit(env);
  const logger = createLogger(config.logLevel);
  process.on("unhandledRejection", (reason) => {
    logger.error({ err: reason }, "unhandled rejection");
  });
  // Listening from the start: a signal that comes while the core starts (it may already have
  // said it serves) stops it as soon as it has started, instead of killing the process.
  let core: RunningCore | undefined;
  let stopWhenStarted = false;
  const stop = (running: RunningCore) =>
    running.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, "signal received");
    if (core) void stop(core);
    else stopWhenStarted = true;
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  core = await startOrExit(config, logger);
  if (stopWhenStarted) void stop(core);
}

/** The settings, or exit 2 with the reason (a usage error). */
function configOrExit(env: NodeJS.ProcessEnv): CoreConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`training-core: ${error.message}\n`);
    process.exit(2);
  }
}

/** The started core, or exit: 2 for a setting that cannot work, 1 for anything else. */
async function startOrExit(config: CoreConfig, logger: Logger): Promise<RunningCore> {
  try {
    return await startCore(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, "could not start");
    // E.g. a public address without any token.
    if (error instanceof ConfigError) process.stderr.write(`training-core: ${error.message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
}

/** True when this file is the process's entry point, not a module the CLI imported. */
function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) void serve();
