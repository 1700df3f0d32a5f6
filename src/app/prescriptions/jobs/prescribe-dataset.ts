/**
 * PrescribeDataset: checks the request at once (the project TRAINED, with a definition and a
 * plugin that prescribes; the dataset's header fits the definition), then stores the dataset
 * (inline) and the job, PREPARING, in one transaction. The running-cases set is made in the
 * background (see JobPreparation).
 */
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import { AppError } from "../../../domain/errors.js";
import { hasNul } from "../../../domain/text-checks.js";
import { inTransaction } from "../../../store/commits/transactions.js";
import type { BlobRow } from "../../../store/rows.js";
import { newBlobId } from "../../../store/sql/blobs.js";
import { trainedMemberships } from "../../../store/sql/job-requests.js";
import { insertCompleteBlob } from "../../../store/sql/new-project-rows.js";
import { driverOf } from "../../../store/sql/prepared.js";
import { findJobByRequestId, insertJob } from "../../../store/sql/prescription-jobs.js";
import { findProject } from "../../../store/sql/projects.js";
import { findUpload, readDatasetHead, uploadNotFound } from "../../datasets/dataset-heads.js";
import { type JobView, jobView, readJob } from "./job-views.js";
import { runningCasesDefinition } from "./running-cases-definition.js";

export interface PrescribeDatasetInput {
  readonly projectId: number;
  /** Inline dataset; or `datasetId` of an upload. Exactly one of them is set. */
  readonly datasetCsv: Uint8Array;
  readonly datasetId: string;
  readonly requestId: string;
}

export interface PrescribeDatasetDeps {
  readonly db: Knex;
  readonly maxDatasetBytes: number;
}

export interface PrescribedJob {
  readonly job: JobView;
  /** True when the job is new (its preparation is to start); false for a repeated request_id. */
  readonly created: boolean;
}

const maxRequestIdLength = 200;
const invalid = (message: string) => new AppError("INVALID_ARGUMENT", message);

/** A new job id: `job_` and 32 hex digits. */
export function newJobId(): string {
  return `job_${randomUUID().replaceAll("-", "")}`;
}

function validateFields(input: PrescribeDatasetInput, maxDatasetBytes: number): void {
  if (hasNul(input.requestId) || hasNul(input.datasetId)) {
    throw invalid("text fields must not contain the NUL character (U+0000)");
  }
  if (input.requestId.length > maxRequestIdLength) {
    throw invalid(`request_id is longer than ${maxRequestIdLength} characters`);
  }
  const inline = input.datasetCsv.length > 0;
  if (inline === (input.datasetId !== "")) {
    throw invalid(
      inline
        ? "set only one of dataset_csv and dataset_id"
        : "a dataset is required: dataset_csv (inline) or dataset_id (from UploadDataset)",
    );
  }
  if (input.datasetCsv.length > maxDatasetBytes) {
    throw invalid(
      `dataset_csv has ${input.datasetCsv.length} bytes; the limit is ${maxDatasetBytes} (CORE_MAX_DATASET_BYTES): upload it with UploadDataset and pass dataset_id`,
    );
  }
  if (!Number.isSafeInteger(input.projectId) || input.projectId <= 0) {
    throw invalid("project_id must be a positive id");
  }
}

/** The project, TRAINED, with a definition and a plugin that prescribes; its effective definition. */
async function checkProject(db: Knex, projectId: number): Promise<string> {
  const project = await findProject(db, projectId);
  if (!project) throw new AppError("NOT_FOUND", `project ${projectId} does not exist`);
  if (project.status !== "TRAINED") {
    throw new AppError(
      "FAILED_PRECONDITION",
      `project ${projectId} is ${project.status}; prescriptions need a TRAINED project`,
    );
  }
  if (project.effective_definition_json === null) {
    throw new AppError(
      "FAILED_PRECONDITION",
      `project ${projectId} was created without an event-log definition, so running cases cannot be read like its training set: create the project with a definition (CreateProjectRequest.definition, or an XES log)`,
    );
  }
  const memberships = await trainedMemberships(db, projectId);
  if (
    memberships.some((m) => m.prescribes) &&
    !memberships.some((m) => m.prescribes && m.serving)
  ) {
    throw new AppError(
      "FAILED_PRECONDITION",
      `every TRAINED plugin of project ${projectId} that answers prescription requests was set not to serve: set one to serve again (SetPluginServing)`,
    );
  }
  if (!memberships.some((membership) => membership.prescribes)) {
    const keys = memberships.map((membership) => membership.plugin_key);
    throw new AppError(
      "FAILED_PRECONDITION",
      keys.length === 0
        ? `project ${projectId} has no TRAINED plugin`
        : `no TRAINED plugin of project ${projectId} answers prescription requests: ${keys.join(", ")} ${keys.length === 1 ? "is" : "are"} TRAINED, and none sets OnlineReport.prescribes`,
    );
  }
  return project.effective_definition_json;
}

export async function prescribeDataset(
  input: PrescribeDatasetInput,
  deps: PrescribeDatasetDeps,
): Promise<PrescribedJob> {
  const { db } = deps;
  validateFields(input, deps.maxDatasetBytes);
  const repeated = await repeatedJob(db, input.requestId);
  if (repeated) return { job: repeated, created: false };
  const definitionJson = await checkProject(db, input.projectId);
  let upload: BlobRow | undefined;
  if (input.datasetId !== "") {
    upload = await findUpload(db, input.datasetId);
    if (!upload) throw uploadNotFound(input.datasetId);
  }
  const head = await readDatasetHead(
    db,
    upload ? { kind: "upload", upload } : { kind: "inline", bytes: input.datasetCsv },
  );
  runningCasesDefinition(definitionJson, head.columns, head.typedHints);

  const nowMs = Date.now();
  try {
    const row = await inTransaction(db, async ({ trx }) => {
      let rawBlobId = input.datasetId;
      if (!upload) {
        rawBlobId = newBlobId("raw");
        await insertCompleteBlob(await driverOf(trx), rawBlobId, input.datasetCsv, nowMs);
      }
      return insertJob(trx, {
        id: newJobId(),
        project_id: input.projectId,
        request_id: input.requestId || null,
        status: "PREPARING",
        error: "",
        raw_blob_id: rawBlobId,
        created_ms: nowMs,
        updated_ms: nowMs,
      });
    });
    return { job: jobView(row, []), created: true };
  } catch (error) {
    // Two requests with one request_id raced: the loser returns the winner's job.
    const winner = await repeatedJob(db, input.requestId);
    if (winner) return { job: winner, created: false };
    throw error;
  }
}

async function repeatedJob(db: Knex, requestId: string): Promise<JobView | undefined> {
  if (requestId === "") return undefined;
  const existing = await findJobByRequestId(db, requestId);
  return existing && readJob(db, existing.id);
}
