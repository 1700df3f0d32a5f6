/**
 * How a preprocessing run ends, each in one transaction: the dataset recorded with one WAITING
 * membership per target plugin key (only by the replica holding the project's claim), or the
 * project put in ERROR. Used by every preprocessing path of the runner.
 */
import type { Knex } from "knex";
import { deadlineFor, type PhaseTimeouts } from "../../domain/deadlines.js";
import { inTransaction } from "../../store/commits/transactions.js";
import type { ProjectRow } from "../../store/rows.js";
import { deleteBlob } from "../../store/sql/blobs.js";
import type { ClaimContext } from "../../store/sql/claims.js";
import { appendEvents } from "../../store/sql/events.js";
import { insertMemberships } from "../../store/sql/memberships.js";
import { findPlugins } from "../../store/sql/plugins.js";
import {
  lockProject,
  recordPreprocessedDataset,
  updateProjectStatus,
} from "../../store/sql/projects.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";
import { projectEvent } from "../reports/plugin-reports.js";
import type { PreprocessSummary } from "./csv/index.js";

/** Writes the output files inside the recording transaction (small files). */
export type StoreOutputs = (trx: Knex.Transaction) => Promise<void>;

export interface PreprocessingOutcomesDeps {
  readonly db: Knex;
  readonly feed: ChangeFeed;
  readonly timeouts: PhaseTimeouts;
  /** This replica's claim context, current at each call. */
  readonly claims: () => ClaimContext;
}

export class PreprocessingOutcomes {
  constructor(private readonly deps: PreprocessingOutcomesDeps) {}

  async recordSuccess(
    project: ProjectRow,
    summary: PreprocessSummary,
    trainingBlobId: string,
    holdoutBlobId: string,
    /**
     * Writes the output blobs in this transaction, once the claim is confirmed (small files);
     * without it they are stored already.
     */
    storeOutputs?: StoreOutputs,
  ): Promise<void> {
    const recorded = await inTransaction(this.deps.db, async ({ trx, afterCommit }) => {
      const locked = await lockProject(trx, project.id);
      if (!locked || locked.preprocessed_ms !== null || locked.status !== "PREPROCESSING") {
        return false;
      }
      // Our claim lapsed (this replica looked dead) and another replica took the project over.
      if (locked.preprocessing_replica !== this.deps.claims().replicaId) return false;
      await storeOutputs?.(trx);
      // The dataset's (and its WAITING events') time: once the outputs are stored, as on the
      // other paths, which stored them before this transaction.
      const nowMs = Date.now();
      await recordPreprocessedDataset(
        trx,
        project.id,
        {
          training_blob_id: trainingBlobId,
          holdout_blob_id: holdoutBlobId,
          rows: summary.rows,
          training_rows: summary.trainingRows,
          holdout_rows: summary.holdoutRows,
          cases: summary.cases,
          columns_json: JSON.stringify(summary.columns),
          case_id_column: summary.caseIdColumn,
        },
        nowMs,
      );
      const memberships = await insertMemberships(
        trx,
        await this.newMemberships(trx, project, nowMs),
      );
      await appendEvents(
        trx,
        memberships.map((a) => ({
          project_id: project.id,
          membership_id: a.id,
          plugin_key: a.plugin_key,
          project_status: "PREPROCESSING",
          plugin_status: "WAITING",
          detail: "",
          created_ms: nowMs,
        })),
      );
      afterCommit(() => {
        this.deps.feed.workAvailable(memberships.map((a) => a.plugin_key));
        this.deps.feed.projectChanged(project.id);
      });
      return true;
    });
    if (!recorded && !storeOutputs) {
      // Someone else recorded this project: our files are nobody's. (Outputs stored by this
      // transaction were never written.)
      await Promise.all([
        deleteBlob(this.deps.db, trainingBlobId),
        deleteBlob(this.deps.db, holdoutBlobId),
      ]);
    }
  }

  private async newMemberships(trx: Knex, project: ProjectRow, nowMs: number) {
    const keys = JSON.parse(project.plugin_keys_json) as string[];
    const parameters = JSON.parse(project.parameters_json) as Record<string, object>;
    const additionalInfo = JSON.parse(project.additional_info_json) as Record<string, object>;
    const defaults = new Map(
      (await findPlugins(trx, keys)).map((p) => [p.key, JSON.parse(p.parameters_json) as object]),
    );
    return keys.map((key) => ({
      project_id: project.id,
      plugin_key: key,
      status: "WAITING",
      model_name: "",
      error: "",
      parameters_json: JSON.stringify({ ...defaults.get(key), ...parameters[key] }),
      additional_info_json: JSON.stringify(additionalInfo[key] ?? {}),
      deadline_ms: deadlineFor("WAITING", this.deps.timeouts, nowMs),
      created_ms: nowMs,
      updated_ms: nowMs,
    }));
  }

  async fail(projectId: number, reason: string): Promise<void> {
    await inTransaction(this.deps.db, async ({ trx, afterCommit }) => {
      const locked = await lockProject(trx, projectId);
      if (locked?.status !== "PREPROCESSING" || locked.preprocessed_ms !== null) return;
      const nowMs = Date.now();
      await updateProjectStatus(trx, projectId, "ERROR", reason, nowMs);
      await appendEvents(trx, [projectEvent(projectId, "ERROR", reason, nowMs)]);
      afterCommit(() => this.deps.feed.projectChanged(projectId));
    });
  }
}
