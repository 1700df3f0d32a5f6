/** The TypeScript plugin SDK of the training core. */

export { bearerInterceptor } from "./bearer.js";
export {
  codeName,
  PluginRegistrationError,
  PluginReportError,
  PluginStoppedError,
  type ReportKind,
} from "./errors.js";
export { runPlugin } from "./run-plugin.js";
export type {
  JobContext,
  PluginIdentity,
  ReconnectOptions,
  RunPluginOptions,
  TrainingDataHandler,
  TrainingJob,
} from "./types.js";
