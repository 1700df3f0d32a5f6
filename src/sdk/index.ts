/** The TypeScript plugin SDK of the training core. */

/** The generated ModelService client, for `downloadModel` and `uploadModel` outside `runPlugin`. */
export { ModelServiceClient } from "../gen/trainingcore/v1/model_service.js";
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
export {
  type DownloadedModel,
  type DownloadModelOptions,
  downloadModel,
  ModelCache,
} from "./model-download.js";
export {
  type ModelFile,
  type StoredModel,
  type UploadModelOptions,
  uploadModel,
} from "./model-upload.js";
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
  TrainedModel,
  TrainingDataHandler,
  TrainingJob,
} from "./types.js";
