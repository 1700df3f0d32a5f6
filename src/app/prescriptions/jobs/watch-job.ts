/**
 * WatchPrescriptionJob: the job at once, then again after each change notification that changed
 * it, ending after it is DONE or ERROR. The stored job is the only source: a notification just
 * says "read again". A job deleted while watched ends the watch with NOT_FOUND.
 */
import type { Knex } from "knex";
import { isFinalJobStatus } from "../../../domain/prescription-jobs.js";
import type { ChangeFeed } from "../../change-feed/change-feed.js";
import { getJob, type JobView, jobNotFound, readJob } from "./job-views.js";

export async function* watchJob(
  db: Knex,
  feed: ChangeFeed,
  jobId: string,
  signal: AbortSignal,
): AsyncGenerator<JobView> {
  let changed = false;
  let wake: (() => void) | undefined;
  const unsubscribe = feed.onJobChanged(jobId, () => {
    changed = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    let last = await getJob(db, jobId);
    yield last;
    let sent = JSON.stringify(last);
    while (!signal.aborted && !isFinalJobStatus(last.status)) {
      if (!changed) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      changed = false;
      const job = await readJob(db, jobId);
      if (!job) throw jobNotFound(jobId);
      const json = JSON.stringify(job);
      if (json === sent) continue;
      last = job;
      sent = json;
      yield job;
    }
  } finally {
    unsubscribe();
    signal.removeEventListener("abort", onAbort);
  }
}
