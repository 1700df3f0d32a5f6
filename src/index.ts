/** The package's entry: the plugin SDK, and the core for embedding (tests, tools). */

export { type CoreConfig, loadConfig } from "./config.js";
export { type RunningCore, startCore } from "./core.js";
export * from "./sdk/index.js";
