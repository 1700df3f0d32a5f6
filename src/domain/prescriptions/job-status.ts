/** A prescription job's status from its requests' statuses. Pure: no I/O. */
import { isFinishedRequestStatus, type RequestStatus } from "./request-transitions.js";

export const jobStatuses = ["PREPARING", "RUNNING", "DONE", "ERROR"] as const;
export type JobStatus = (typeof jobStatuses)[number];

/**
 * A RUNNING job is DONE once every request finished (DONE, ERROR, TIMED_OUT or NOT_SERVING);
 * any other job keeps its status (PREPARING has no requests yet; DONE and ERROR are final).
 */
export function deriveJobStatus(current: JobStatus, requests: readonly RequestStatus[]): JobStatus {
  if (current !== "RUNNING") return current;
  return requests.every(isFinishedRequestStatus) ? "DONE" : "RUNNING";
}
