/**
 * DeletePrescriptionJob: the job and, by cascade, its cases, requests and results, in one
 * transaction; then its blobs that nothing else uses: the running-cases set, and the dataset
 * when it was sent inline (`raw_…`; an upload, `ds_…`, stays: projects and other jobs may use
 * it). Deleting a job that does not exist is OK.
 */
import type { Knex } from "knex";
import { inTransaction } from "../../../store/commits/transactions.js";
import { deleteBlobs } from "../../../store/sql/blobs.js";
import { deleteJobRow, lockJob, otherBlobUsers } from "../../../store/sql/prescription-jobs.js";
import type { ChangeFeed } from "../../change-feed/change-feed.js";

export async function deletePrescriptionJob(
  db: Knex,
  feed: ChangeFeed,
  jobId: string,
): Promise<void> {
  if (jobId === "") return;
  const blobs = await inTransaction(db, async ({ trx, afterCommit }) => {
    const job = await lockJob(trx, jobId);
    if (!job) return [];
    await deleteJobRow(trx, jobId);
    afterCommit(() => feed.jobChanged(jobId));
    const candidates = [
      job.cases_blob_id,
      job.raw_blob_id.startsWith("raw_") ? job.raw_blob_id : null,
    ];
    const unused: string[] = [];
    for (const id of candidates) {
      if (id !== null && (await otherBlobUsers(trx, id, jobId)) === 0) unused.push(id);
    }
    return unused;
  });
  // After the commit, so that their files go too (see deleteBlobs).
  await deleteBlobs(db, blobs);
}
