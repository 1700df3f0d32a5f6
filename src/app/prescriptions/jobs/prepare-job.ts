/**
 * The preparation of one prescription job, by the replica that claimed it: the stored dataset
 * read with the project's definition without labels (see runningCasesDefinition) through the
 * event-log normalizer into a running-cases set (`rc_…`; every case, contiguous, in time order,
 * ties in file order), then ONE transaction records the set, the job's cases in the set's order,
 * the job RUNNING and one request per TRAINED membership: WAITING with a deadline for a key that
 * prescribes and a membership set to serve (SetPluginServing), NOT_SERVING with why otherwise. No WAITING request: the job is ERROR. A dataset that cannot
 * be read puts the job in ERROR with what and where, and what the preparation wrote is removed.
 */
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import { AppError } from "../../../domain/errors.js";
import { definitionToJson } from "../../../domain/event-log/index.js";
import {
  noPluginServesError,
  notServingDetail,
  setNotToServeDetail,
} from "../../../domain/prescription-jobs.js";
import { requestIdFor } from "../../../domain/prescriptions/request-ids.js";
import type { Logger } from "../../../logger.js";
import { BlobWriter } from "../../../store/blobs/blob-writer.js";
import { inTransaction } from "../../../store/commits/transactions.js";
import type { PrescriptionJobRow } from "../../../store/rows.js";
import { blobSizes, deleteBlob, readBlobChunks } from "../../../store/sql/blobs.js";
import type { ClaimContext } from "../../../store/sql/claims.js";
import { insertJobCases } from "../../../store/sql/job-cases.js";
import {
  insertRequests,
  type NewRequestRow,
  trainedMemberships,
} from "../../../store/sql/job-requests.js";
import { findJob, lockJob, recordPreparedJob } from "../../../store/sql/prescription-jobs.js";
import { findProject } from "../../../store/sql/projects.js";
import type { ChangeFeed } from "../../change-feed/change-feed.js";
import type { ChunkSink } from "../../preprocessing/csv/index.js";
import {
  inspectDatasetHead,
  readDatasetStart,
} from "../../preprocessing/event-log/dataset-head.js";
import { preprocessEventLog } from "../../preprocessing/event-log-pass.js";
import { isDatasetRejection } from "../../preprocessing/pipeline.js";
import { CaseIdCollector } from "./case-id-collector.js";
import { runningCasesDefinition } from "./running-cases-definition.js";

export interface PrepareJobDeps {
  readonly db: Knex;
  readonly feed: ChangeFeed;
  readonly logger: Logger;
  /** CORE_PRESCRIPTION_TIMEOUT_MS: a WAITING request's deadline from its creation. */
  readonly prescriptionTimeoutMs: number;
  readonly claims: () => ClaimContext;
  /** Aborted when the core stops: the pass ends at its next chunk (the job is resumed later). */
  readonly signal: AbortSignal;
}

const discarding: ChunkSink = { write: async () => {} };

/** A new request id: `req_`, the project and 32 hex digits (see `request-ids.ts`). */
export function newRequestId(projectId: number): string {
  return requestIdFor("req", projectId, randomUUID().replaceAll("-", ""));
}

export async function prepareJob(deps: PrepareJobDeps, jobId: string): Promise<void> {
  const job = await findJob(deps.db, jobId);
  if (job?.status !== "PREPARING") return;
  const log = deps.logger.child({ jobId, projectId: Number(job.project_id) });
  const started = Date.now();
  const project = await findProject(deps.db, job.project_id);
  if (!project?.effective_definition_json) {
    await finish(deps, job, { error: "the project has no event-log definition any more" });
    return;
  }
  const rawBytes = (await blobSizes(deps.db, [job.raw_blob_id])).get(job.raw_blob_id) ?? 0;
  const open = async function* () {
    for await (const chunk of readBlobChunks(deps.db, job.raw_blob_id, 0, rawBytes)) {
      deps.signal.throwIfAborted();
      yield chunk;
    }
  };
  let writer: BlobWriter | undefined;
  let collector: CaseIdCollector | undefined;
  try {
    const head = await inspectDatasetHead(await readDatasetStart(open()));
    const definition = runningCasesDefinition(
      project.effective_definition_json,
      head.columns,
      head.typedHints,
    );
    await preprocessEventLog(
      {
        open,
        definitionJson: definitionToJson(definition),
        caseIdColumn: "",
        holdoutFraction: 0,
        onStoredBytes: () => {},
      },
      {
        open: async () => {
          writer = await BlobWriter.create(deps.db, "rc", started, "", deps.claims().replicaId);
          collector = new CaseIdCollector(writer);
          return { training: collector, holdout: discarding };
        },
        discard: async () => {
          await writer?.discard();
          writer = undefined;
        },
      },
    );
  } catch (error) {
    const reason =
      isDatasetRejection(error) || (error instanceof AppError && error.code === "INVALID_ARGUMENT")
        ? error.message
        : undefined;
    if (reason === undefined) {
      await writer?.discard().catch(() => {});
      throw error;
    }
    log.info({ reason }, "running cases rejected");
    await finish(deps, job, { error: `dataset: ${reason.replace(/^dataset: /, "")}` });
    return;
  }
  const set = writer as BlobWriter;
  const caseIds = (collector as CaseIdCollector).caseIds;
  await set.finish();
  const recorded = await finish(deps, job, { setId: set.id, caseIds });
  if (!recorded) await deleteBlob(deps.db, set.id);
  else log.info({ cases: caseIds.length, ms: Date.now() - started }, "running cases prepared");
}

type Outcome =
  | { readonly error: string }
  | { readonly setId: string; readonly caseIds: readonly string[] };

/** Records the end of the preparation, if the job still waits for it from this replica. */
async function finish(deps: PrepareJobDeps, job: PrescriptionJobRow, outcome: Outcome) {
  return inTransaction(deps.db, async ({ trx, afterCommit }) => {
    const locked = await lockJob(trx, job.id);
    if (locked?.status !== "PREPARING") return false;
    if (locked.preparing_replica !== deps.claims().replicaId) return false;
    const nowMs = Date.now();
    if ("error" in outcome) {
      await recordPreparedJob(
        trx,
        job.id,
        {
          status: "ERROR",
          error: outcome.error,
          cases_blob_id: null,
          cases: 0,
          finished_ms: nowMs,
        },
        nowMs,
      );
      afterCommit(() => deps.feed.jobChanged(job.id));
      return true;
    }
    await insertJobCases(trx, job.id, outcome.caseIds);
    const memberships = await trainedMemberships(trx, job.project_id);
    const requests: NewRequestRow[] = memberships.map((membership) => {
      const serves = membership.prescribes && membership.serving;
      return {
        id: newRequestId(job.project_id),
        job_id: job.id,
        membership_id: membership.id,
        plugin_key: membership.plugin_key,
        status: serves ? "WAITING" : "NOT_SERVING",
        detail: serves
          ? ""
          : membership.prescribes
            ? setNotToServeDetail(membership.plugin_key, membership.id)
            : notServingDetail(membership.plugin_key),
        deadline_ms: serves ? nowMs + deps.prescriptionTimeoutMs : null,
        created_ms: nowMs,
        updated_ms: nowMs,
      };
    });
    await insertRequests(trx, requests);
    const waiting = requests.filter((request) => request.status === "WAITING");
    const serving = waiting.length > 0;
    await recordPreparedJob(
      trx,
      job.id,
      {
        status: serving ? "RUNNING" : "ERROR",
        error: serving ? "" : noPluginServesError(memberships.map((m) => m.plugin_key)),
        cases_blob_id: outcome.setId,
        cases: outcome.caseIds.length,
        finished_ms: serving ? null : nowMs,
      },
      nowMs,
    );
    afterCommit(() => {
      deps.feed.workAvailable(new Set(waiting.map((request) => request.plugin_key)));
      deps.feed.jobChanged(job.id);
    });
    return true;
  });
}
