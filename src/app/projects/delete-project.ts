/**
 * DeleteProject: one transaction removes the project and everything only it uses: its
 * memberships, events, prescription jobs (their cases, requests and results cascade), and the
 * blob rows nothing else names any more (its inline dataset `raw_…`, training and holdout sets,
 * stored models, its jobs' running-cases sets and inline datasets). An upload (`ds_…`) stays:
 * retention collects it once nothing uses it. A tombstone row remembers the id, so later plugin
 * reports about it are FAILED_PRECONDITION. Blob files go after the commit (a crash in between
 * leaves files without rows, which the orphan sweep removes). Deleting a project that does not
 * exist (any more) is OK.
 *
 * After the commit the change feed tells: watchers of the project and of its jobs (they re-read,
 * find nothing, and end NOT_FOUND), the dispatcher (WAITING memberships and open requests leave
 * their instances' leases), and a preprocessing run of it (it stops).
 */
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { blobFilesOf } from "../../store/blobs/blob-files.js";
import { inTransaction } from "../../store/commits/transactions.js";
import { deleteBlobs } from "../../store/sql/blobs.js";
import {
  deleteProjectRows,
  readProjectBelongings,
  unreferencedBlobs,
} from "../../store/sql/project-deletion.js";
import { lockProject } from "../../store/sql/projects.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";

export interface DeletedProject {
  /** False when there was no such project (deleted before, or never created). */
  readonly existed: boolean;
  /** Blob rows removed with it. */
  readonly blobs: number;
}

export async function deleteProject(
  db: Knex,
  feed: ChangeFeed,
  projectId: number,
): Promise<DeletedProject> {
  if (!Number.isSafeInteger(projectId) || projectId <= 0) {
    throw new AppError("INVALID_ARGUMENT", "project_id must be a positive id");
  }
  const blobIds = await inTransaction(db, async ({ trx, afterCommit }) => {
    const project = await lockProject(trx, projectId);
    if (!project) return undefined;
    const belongings = await readProjectBelongings(trx, projectId);
    const candidates = [
      project.raw_blob_id.startsWith("raw_") ? project.raw_blob_id : null,
      project.training_blob_id,
      project.holdout_blob_id,
      ...belongings.memberships.map((m) => m.model_blob_id),
      ...belongings.jobs.flatMap((job) => [
        job.cases_blob_id,
        job.raw_blob_id.startsWith("raw_") ? job.raw_blob_id : null,
      ]),
    ].filter((id): id is string => id !== null);
    await deleteProjectRows(trx, projectId, Date.now());
    const unused = await unreferencedBlobs(trx, candidates);
    // Rows only: in a transaction the files stay until it committed.
    await deleteBlobs(trx, unused);
    afterCommit(() => {
      feed.projectChanged(projectId);
      // Live readers of the project re-read, find it gone and end NOT_FOUND.
      feed.streamChanged(projectId);
      for (const job of belongings.jobs) feed.jobChanged(job.id);
      for (const m of belongings.memberships) {
        if (m.status === "WAITING") feed.membershipLeftWaiting(m.plugin_key, m.id);
      }
      for (const request of belongings.openRequests) {
        feed.requestDone(request.plugin_key, request.id);
      }
    });
    return unused;
  });
  if (blobIds === undefined) return { existed: false, blobs: 0 };
  await blobFilesOf(db)?.remove(blobIds);
  return { existed: true, blobs: blobIds.length };
}
