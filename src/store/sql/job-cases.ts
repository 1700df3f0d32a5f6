/** The cases of a prescription job, in the running-cases set's order. */
import type { Knex } from "knex";
import type { JobCaseRow } from "../rows.js";

/** Rows per INSERT (3 parameters each). */
const rowsPerStatement = 500;

/** Records `caseIds` as the job's cases 0, 1, 2, … */
export async function insertJobCases(
  trx: Knex,
  jobId: string,
  caseIds: readonly string[],
): Promise<void> {
  for (let start = 0; start < caseIds.length; start += rowsPerStatement) {
    const rows = caseIds
      .slice(start, start + rowsPerStatement)
      .map((caseId, i) => ({ job_id: jobId, ordinal: start + i, case_id: caseId }));
    await trx("job_cases").insert(rows);
  }
}

/** Up to `limit` cases of the job from ordinal `from` on, in order. */
export async function pageOfJobCases(
  db: Knex,
  jobId: string,
  from: number,
  limit: number,
): Promise<JobCaseRow[]> {
  return db<JobCaseRow>("job_cases")
    .where({ job_id: jobId })
    .andWhere("ordinal", ">=", from)
    .orderBy("ordinal")
    .limit(limit);
}
