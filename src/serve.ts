/** Runs the core until SIGTERM/SIGINT: config → logger → core; signal → drain → exit 0. */
import { ConfigError, loadConfig } from "./config.js";
import { startCore } from "./core.js";
import { createLogger } from "./logger.js";

export async function serve(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`training-core: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  process.on("unhandledRejection", (reason) => {
    logger.error({ err: reason }, "unhandled rejection");
  });
  let core: Awaited<ReturnType<typeof startCore>>;
  try {
    core = await startCore(config, logger);
  } catch (error) {
    logger.fatal({ err: error }, "could not start");
    // A setting that cannot work (e.g. a public address without any token) is a usage error.
    if (error instanceof ConfigError) process.stderr.write(`training-core: ${error.message}\n`);
    process.exit(error instanceof ConfigError ? 2 : 1);
  }
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, "signal received");
    core.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}
