/**
 * Prescription jobs, as pure rules.
 *
 * A job is PREPARING while the core makes its running-cases set; RUNNING while its plugins
 * answer; DONE once every serving plugin is DONE, ERROR or TIMED_OUT; ERROR when the dataset
 * could not be read or no plugin serves. Each plugin's part (a request) is WAITING, RUNNING,
 * DONE, ERROR or TIMED_OUT, or NOT_SERVING when its key does not answer prescription requests.
 */

export const jobStatuses = ["PREPARING", "RUNNING", "DONE", "ERROR"] as const;
export type JobStatus = (typeof jobStatuses)[number];

export const requestStatuses = [
  "WAITING",
  "RUNNING",
  "DONE",
  "ERROR",
  "TIMED_OUT",
  "NOT_SERVING",
] as const;
export type RequestStatus = (typeof requestStatuses)[number];

/** A job status that never changes again. */
export function isFinalJobStatus(status: string): boolean {
  return status === "DONE" || status === "ERROR";
}

/** A request that will store no more results. */
export function isFinishedRequest(status: string): boolean {
  return status === "DONE" || status === "ERROR" || status === "TIMED_OUT";
}

/** What a finished request stands for, in a case's results, when it stored no row for the case. */
export interface MissingRequestResult {
  readonly status: string;
  /** The request's detail (the plugin's error, or why it timed out). */
  readonly detail: string;
}

/**
 * Why a plugin has no prescription for a case, or undefined when the plugin is left out of the
 * case's results: it does not serve (NOT_SERVING), or it may still answer the case.
 */
export function missingPrescriptionDetail(
  request: MissingRequestResult,
  timeoutMs: number,
): string | undefined {
  switch (request.status) {
    case "DONE":
      return "no prescription from this plugin for this case";
    case "ERROR":
      return request.detail || "the plugin failed";
    case "TIMED_OUT":
      return request.detail || `timed out after ${timeoutMs} ms`;
    default:
      return undefined;
  }
}

/** The detail of a membership whose key does not prescribe. */
export function notServingDetail(key: string): string {
  return `plugin "${key}" does not answer prescription requests (its OnlineReport does not set prescribes)`;
}

/** Why a membership set not to serve (SetPluginServing) has no part in a job. */
export function setNotToServeDetail(key: string, pluginId: number): string {
  return `plugin "${key}" (plugin_id ${pluginId}) was set not to serve this project's prescriptions (SetPluginServing)`;
}

/** A job's error when no plugin of it serves. */
export function noPluginServesError(keys: readonly string[]): string {
  return keys.length === 0
    ? "no plugin serves: the project has no TRAINED plugin"
    : `no plugin serves: none of the TRAINED plugins (${keys.join(", ")}) answers prescription requests`;
}
