/** The TypeScript plugin SDK of the training core. */

export { bearerInterceptor } from "./bearer.js";
export {
  type CaseRule,
  type ColumnDefinition,
  type Condition,
  type ConditionGroup,
  columnDefinitions,
  type EventLogDefinition,
  type Operator,
} from "./definition.js";
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
  Prescription,
  PrescriptionContext,
  PrescriptionHandler,
  PrescriptionJob,
  ReconnectOptions,
  RunningCase,
  RunPluginOptions,
  TrainingDataHandler,
  TrainingJob,
} from "./types.js";
