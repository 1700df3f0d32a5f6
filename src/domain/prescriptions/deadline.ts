/** Deadlines of prescription requests. Pure: no I/O. */

/** The detail stored when a request ran out of time, naming the setting to change. */
export function requestTimedOutDetail(timeoutMs: number): string {
  return `no complete answer within ${timeoutMs} ms of the first delivery (CORE_PRESCRIPTION_TIMEOUT_MS)`;
}
