/** Reads of `prescription_jobs` the plugin side needs. */
import type { Knex } from "knex";

/** True when `blobId` is the running-cases set of a prescription job. */
export async function isRunningCasesBlob(db: Knex, blobId: string): Promise<boolean> {
  const job = await db("prescription_jobs").select("id").where("cases_blob_id", blobId).first();
  return job !== undefined;
}
