/**
 * Prescription request ids carry their project: `req_<project>_<32 hex>` for a dataset job's
 * request, `sr_<project>_<32 hex>` for a live event's. The rows of a deleted project are gone,
 * so this is how an answer to one of its requests is told "project N was deleted"
 * (FAILED_PRECONDITION) rather than "unknown request" (NOT_FOUND).
 */
const projectScoped = /^(?:req|sr)_([1-9][0-9]{0,15})_[0-9a-f]{32}$/;

export function requestIdFor(prefix: "req" | "sr", projectId: number, randomHex: string): string {
  return `${prefix}_${projectId}_${randomHex}`;
}

/** The project a request id names, when it has the shape of one; undefined otherwise. */
export function projectOfRequestId(requestId: string): number | undefined {
  const match = projectScoped.exec(requestId);
  if (!match) return undefined;
  const projectId = Number(match[1]);
  return Number.isSafeInteger(projectId) ? projectId : undefined;
}
