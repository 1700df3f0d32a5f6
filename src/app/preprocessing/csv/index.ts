export { DatasetError } from "./errors.js";
export { preprocessDataset } from "./preprocess.js";
export type { ChunkSink, Delimiter, PreprocessOptions, PreprocessSummary } from "./types.js";
