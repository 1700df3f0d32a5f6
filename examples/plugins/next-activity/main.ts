/**
 * Runs the next-activity plugin until SIGINT or SIGTERM.
 *
 *   CORE_ADDRESS  host:port of the training core (default 127.0.0.1:50051); several replicas:
 *                 a comma-separated list
 *   MODEL_DIR     where model files are written (default ./models)
 *   PLUGIN_KEY    the plugin key (default plugin-next-activity)
 *   PLUGIN_TOKEN  a plugin token, when the core requires tokens
 *   LOG_LEVEL     pino log level (default info)
 */
import { pino } from "pino";
import { startNextActivityPlugin } from "./plugin.js";

const logger = pino({ level: process.env.LOG_LEVEL || "info" });
const controller = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    logger.info({ signal }, "stopping");
    controller.abort();
  });
}

const address = (process.env.CORE_ADDRESS || "127.0.0.1:50051")
  .split(",")
  .map((one) => one.trim())
  .filter((one) => one !== "");
const modelDir = process.env.MODEL_DIR || "./models";
logger.info({ address, modelDir }, "starting the next-activity plugin");
try {
  await startNextActivityPlugin({
    address,
    modelDir,
    signal: controller.signal,
    key: process.env.PLUGIN_KEY || undefined,
    token: process.env.PLUGIN_TOKEN || undefined,
    logger,
  });
} catch (error) {
  logger.fatal({ err: error }, "the plugin stopped with an error");
  process.exitCode = 1;
}
