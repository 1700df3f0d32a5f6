/** XES event logs (IEEE 1849): the streaming reader and the head InspectDataset shows. */
export type { XesType } from "./attribute-types.js";
export { inspectXesHead, XES_HEAD_BYTES } from "./inspect-head.js";
export { readXes, type XesSummary } from "./read-xes.js";
export { DatasetChangedError } from "./visitors.js";
export { XesSpool } from "./xes-spool.js";
