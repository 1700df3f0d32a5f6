/**
 * How a preprocessing run ends, each in one transaction: the dataset recorded with one WAITING
 * membership per target plugin key (only by the replica holding the project's claim), or the
 * project put in ERROR. Used by every preprocessing path of the runner.
 */
import type { Knex } from "knex";
import { deadlineFor, type PhaseTimeouts } from "../../domain/deadlines.js";
import {
  definitionToJson,
  isColumnDefinition,
  notApplicableDetail,
  type TrainingSetSummary,
} from "../../domain/event-log/index.js";
import { inTransaction } from "../../store/commits/transactions.js";
import type { ProjectRow } from "../../store/rows.js";
import { deleteBlob } from "../../store/sql/blobs.js";
import type { ClaimContext } from "../../store/sql/claims.js";
import { appendEvents } from "../../store/sql/events.js";
import { insertMemberships } from "../../store/sql/memberships.js";
import { findPlugins } from "../../store/sql/plugins.js";
import {
  lockProject,
  type PreprocessedDataset,
  recordPreprocessedDataset,
  updateProjectStatus,
} from "../../store/sql/projects.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";
import { projectEvent } from "../reports/plugin-reports.js";
import type { PreprocessSummary } from "./csv/index.js";
import type { EventLogSummary } from "./event-log/normalizer.js";
import { membershipEvents } from "./membership-events.js";

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
    await this.record(
      project,
      datasetRow(summary, trainingBlobId, holdoutBlobId),
      undefined,
      storeOutputs,
    );
  }

  /**
   * The same for the normalized sets of an event log: the label counts and the effective
   * definition are stored with the dataset, and a plugin whose needed columns the training set
   * lacks joins the project NOT_APPLICABLE, with why, and is never sent TrainingData.
   */
  async recordEventLog(
    project: ProjectRow,
    summary: EventLogSummary,
    trainingBlobId: string,
    holdoutBlobId: string,
    storeOutputs?: StoreOutputs,
  ): Promise<void> {
    const columns = summary.columns;
    await this.record(
      project,
      {
        ...datasetRow(summary, trainingBlobId, holdoutBlobId),
        positive_cases: columns.includes("OUTCOME") ? summary.positiveCases : null,
        treated_cases: columns.includes("TREATMENT") ? summary.treatedCases : null,
        effective_definition_json: definitionToJson(summary.definition),
      },
      summary.trainingSet,
      storeOutputs,
    );
  }

  private async record(
    project: ProjectRow,
    dataset: PreprocessedDataset,
    /** The training set plugins' needs are checked against; none for a legacy project. */
    trainingSet: TrainingSetSummary | undefined,
    storeOutputs: StoreOutputs | undefined,
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
      await recordPreprocessedDataset(trx, project.id, dataset, nowMs);
      const memberships = await insertMemberships(
        trx,
        await this.newMemberships(trx, project, trainingSet, nowMs),
      );
      const outcome = membershipEvents(project.id, memberships, nowMs);
      await appendEvents(trx, outcome.events);
      if (outcome.status !== "PREPROCESSING") {
        await updateProjectStatus(trx, project.id, outcome.status, outcome.error, nowMs);
      }
      const waiting = memberships.filter((m) => m.status === "WAITING");
      afterCommit(() => {
        this.deps.feed.workAvailable(waiting.map((m) => m.plugin_key));
        this.deps.feed.projectChanged(project.id);
      });
      return true;
    });
    if (!recorded && !storeOutputs) {
      // Someone else recorded this project: our files are nobody's. (Outputs stored by this
      // transaction were never written.)
      await Promise.all([
        deleteBlob(this.deps.db, dataset.training_blob_id),
        deleteBlob(this.deps.db, dataset.holdout_blob_id),
      ]);
    }
  }

  private async newMemberships(
    trx: Knex,
    project: ProjectRow,
    trainingSet: TrainingSetSummary | undefined,
    nowMs: number,
  ) {
    const keys = JSON.parse(project.plugin_keys_json) as string[];
    const parameters = JSON.parse(project.parameters_json) as Record<string, object>;
    const additionalInfo = JSON.parse(project.additional_info_json) as Record<string, object>;
    const plugins = new Map((await findPlugins(trx, keys)).map((p) => [p.key, p]));
    return keys.map((key) => {
      const plugin = plugins.get(key);
      const defaults = plugin ? (JSON.parse(plugin.parameters_json) as object) : {};
      const needed = plugin ? (JSON.parse(plugin.needed_columns_json) as string[]) : [];
      const detail =
        trainingSet && notApplicableDetail(needed.filter(isColumnDefinition), trainingSet);
      return {
        project_id: project.id,
        plugin_key: key,
        status: detail ? "NOT_APPLICABLE" : "WAITING",
        model_name: "",
        error: detail ?? "",
        parameters_json: JSON.stringify({ ...defaults, ...parameters[key] }),
        additional_info_json: JSON.stringify(additionalInfo[key] ?? {}),
        deadline_ms: detail ? null : deadlineFor("WAITING", this.deps.timeouts, nowMs),
        created_ms: nowMs,
        updated_ms: nowMs,
      };
    });
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

/** The dataset's row: what every kind of preprocessing records. */
function datasetRow(
  summary: Pick<
    PreprocessSummary,
    "rows" | "trainingRows" | "holdoutRows" | "cases" | "caseIdColumn"
  > & { readonly columns: readonly string[] },
  trainingBlobId: string,
  holdoutBlobId: string,
): PreprocessedDataset {
  return {
    training_blob_id: trainingBlobId,
    holdout_blob_id: holdoutBlobId,
    rows: summary.rows,
    training_rows: summary.trainingRows,
    holdout_rows: summary.holdoutRows,
    cases: summary.cases,
    columns_json: JSON.stringify(summary.columns),
    case_id_column: summary.caseIdColumn,
  };
}
