/**
 * A job's requests as its consumer side sees them: created with the job's running-cases set,
 * read for the job's view, and their results read a page of cases at a time. (Delivering them
 * and storing results is the plugin side's.)
 */
import type { Knex } from "knex";
import type { PrescriptionRequestRow, PrescriptionResultRow } from "../rows.js";

export type NewRequestRow = Pick<
  PrescriptionRequestRow,
  "id" | "job_id" | "membership_id" | "plugin_key" | "status" | "detail" | "deadline_ms"
> & { readonly created_ms: number; readonly updated_ms: number };

export async function insertRequests(trx: Knex, rows: readonly NewRequestRow[]): Promise<void> {
  if (rows.length > 0) await trx("prescription_requests").insert(rows);
}

/** The TRAINED memberships of a project, each with whether its key prescribes, by id. */
export async function trainedMemberships(
  db: Knex,
  projectId: number,
): Promise<{ id: number; plugin_key: string; prescribes: boolean; serving: boolean }[]> {
  const rows: {
    id: number;
    plugin_key: string;
    prescribes: boolean | number | null;
    serving: boolean | number;
  }[] = await db("memberships as m")
    .leftJoin("plugins as p", "p.key", "m.plugin_key")
    .select("m.id", "m.plugin_key", "p.prescribes", "m.serving")
    .where({ "m.project_id": projectId, "m.status": "TRAINED" })
    .orderBy("m.id");
  return rows.map((row) => ({
    ...row,
    id: Number(row.id),
    prescribes: Boolean(row.prescribes),
    serving: Boolean(row.serving),
  }));
}

/** The requests of the given jobs, by membership id. */
export async function requestsOfJobs(
  db: Knex,
  jobIds: readonly string[],
): Promise<PrescriptionRequestRow[]> {
  if (jobIds.length === 0) return [];
  const rows = await db<PrescriptionRequestRow>("prescription_requests")
    .whereIn("job_id", jobIds)
    .orderBy("membership_id");
  return rows.map((row) => ({
    ...row,
    membership_id: Number(row.membership_id),
    cases_done: Number(row.cases_done),
  }));
}

/** The results of `requestIds` for the cases with ordinals `from` … `to`. */
export async function resultsOfCases(
  db: Knex,
  requestIds: readonly string[],
  from: number,
  to: number,
): Promise<PrescriptionResultRow[]> {
  if (requestIds.length === 0) return [];
  return db<PrescriptionResultRow>("prescription_results")
    .whereIn("request_id", requestIds)
    .andWhere("case_ordinal", ">=", from)
    .andWhere("case_ordinal", "<=", to);
}
