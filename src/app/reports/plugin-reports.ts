/**
 * Applying plugin reports: checks who may report on which membership, runs the pure state
 * machine, and stores the change, its events and the derived project status in the caller's
 * transaction. A whole group-commit batch of reports is applied with a few statements in all.
 */
import { deadlineFor, type PhaseTimeouts } from "../../domain/deadlines.js";
import { modelNameMismatch } from "../../domain/model-uploads.js";
import { applyPluginReport, type PluginReport } from "../../domain/plugin-transitions.js";
import { deriveProjectStatus } from "../../domain/project-status.js";
import type { PluginStatus, ProjectStatus } from "../../domain/statuses.js";
import {
  type ReportContext,
  reportContextOf,
  type WorkContext,
} from "../../store/commits/transactions.js";
import type { MembershipRow, ProjectRow } from "../../store/rows.js";
import type { NewEventRow } from "../../store/sql/events.js";
import {
  type MembershipStateChange,
  type MembershipStatusRow,
  readMembershipStatuses,
} from "../../store/sql/memberships.js";
import { deletedProjectsAmong } from "../../store/sql/project-deletion.js";
import {
  type LockedReportTargets,
  type ProjectState,
  readProjectStates,
} from "../../store/sql/projects.js";
import { storeReportChanges } from "../../store/sql/report-changes.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";
import { type ReportInput, type ReportRefusal, refusalOf } from "./report-checks.js";

/**
 * A report's outcome as a value, not an exception: a batch applies hundreds of reports in one
 * transaction, and refusing one must neither fail nor slow the others.
 */
export type ReportResult =
  | {
      readonly code: "OK";
      readonly changed: boolean;
      /** The project's new status, when this report changed it. */
      readonly projectStatus?: ProjectStatus;
    }
  | ReportRefusal;

const notFound = (message: string): ReportResult => ({ code: "NOT_FOUND", message });

export interface ReportDeps {
  readonly feed: ChangeFeed;
  readonly timeouts: PhaseTimeouts;
}

/** One plugin report, from the instance of `reporterKey` that sent it. */
export interface ReportItem {
  readonly deps: ReportDeps;
  readonly reporterKey: string;
  readonly input: ReportInput;
}

/**
 * The projects and memberships a set of reports touches, held in memory while the reports are
 * applied one after another (each sees the effect of the ones before it, as if each ran alone),
 * and what has to be written at the end.
 */
class Working {
  readonly projects = new Map<number, ProjectState>();
  readonly members = new Map<number, MembershipStatusRow>();
  readonly membersOf = new Map<number, MembershipStatusRow[]>();
  readonly membershipChanges = new Map<number, MembershipStateChange>();
  readonly projectChanges = new Map<number, ProjectState & { updated_ms: number }>();
  readonly events: NewEventRow[] = [];
  /** After commit: projects whose events changed, and memberships that left WAITING. */
  readonly changedProjects = new Map<number, ChangeFeed>();
  readonly leftWaiting: { feed: ChangeFeed; key: string; id: number }[] = [];

  constructor(projects: readonly ProjectState[], memberships: readonly MembershipStatusRow[]) {
    for (const row of projects) {
      this.projects.set(row.id, { id: row.id, status: row.status, error: row.error });
      this.membersOf.set(row.id, []);
    }
    for (const row of memberships) {
      const copy = { ...row };
      this.members.set(row.id, copy);
      this.membersOf.get(row.project_id)?.push(copy);
    }
  }

  /** Checks who reports on what, then runs the transition. */
  apply(item: ReportItem, nowMs: number): ReportResult {
    const { input, reporterKey } = item;
    const project = this.projects.get(input.projectId);
    if (!project) return notFound(`project ${input.projectId} does not exist`);
    const membership = this.members.get(input.pluginId);
    if (!membership || membership.project_id !== input.projectId) {
      return notFound(`plugin_id ${input.pluginId} is not part of project ${input.projectId}`);
    }
    if (membership.plugin_key !== reporterKey) {
      return {
        code: "PERMISSION_DENIED",
        message: `plugin_id ${input.pluginId} belongs to plugin "${membership.plugin_key}", not "${reporterKey}"`,
      };
    }
    return this.transition(item.deps, project, membership, input.report, nowMs);
  }

  /** The state machine for one report; records the change, its events and the project's. */
  transition(
    deps: ReportDeps,
    project: ProjectState,
    membership: MembershipStatusRow,
    report: PluginReport,
    nowMs: number,
  ): ReportResult {
    const outcome = applyPluginReport(
      {
        status: membership.status as PluginStatus,
        modelName: membership.model_name,
        error: membership.error,
      },
      report,
    );
    if (outcome.outcome === "duplicate") return { code: "OK", changed: false };
    if (outcome.outcome === "rejected") {
      return {
        code: "FAILED_PRECONDITION",
        message: `plugin_id ${membership.id}: ${outcome.reason}`,
      };
    }
    const mismatch =
      report.kind === "model-name"
        ? modelNameMismatch(membership.model_upload_name, report.modelName)
        : undefined;
    if (mismatch) {
      return { code: "FAILED_PRECONDITION", message: `plugin_id ${membership.id}: ${mismatch}` };
    }
    const { next } = outcome;
    const wasWaiting = membership.status === "WAITING";
    membership.status = next.status;
    membership.model_name = next.modelName;
    membership.error = next.error;
    this.membershipChanges.set(membership.id, {
      id: membership.id,
      status: next.status,
      model_name: next.modelName,
      error: next.error,
      deadline_ms: deadlineFor(next.status, deps.timeouts, nowMs),
      updated_ms: nowMs,
    });
    const rows = this.membersOf.get(project.id) ?? [membership];
    const derived = deriveProjectStatus(
      rows.map((row) => ({
        key: row.plugin_key,
        status: row.status as PluginStatus,
        error: row.error,
      })),
    );
    this.events.push({
      project_id: project.id,
      membership_id: membership.id,
      plugin_key: membership.plugin_key,
      project_status: derived.status,
      plugin_status: next.status,
      detail: next.modelName || next.error,
      created_ms: nowMs,
    });
    const projectChanged = derived.status !== project.status || derived.error !== project.error;
    if (projectChanged) {
      project.status = derived.status;
      project.error = derived.error;
      this.events.push(projectEvent(project.id, derived.status, derived.error, nowMs));
    }
    // Touched even when its status stays: updated_ms follows every change of its plugins.
    this.projectChanges.set(project.id, { ...project, updated_ms: nowMs });
    if (!this.changedProjects.has(project.id)) this.changedProjects.set(project.id, deps.feed);
    if (wasWaiting) {
      this.leftWaiting.push({ feed: deps.feed, key: membership.plugin_key, id: membership.id });
    }
    return projectChanged
      ? { code: "OK", changed: true, projectStatus: derived.status }
      : { code: "OK", changed: true };
  }

  /** Stores every change: one statement on PostgreSQL. */
  async write(ctx: ReportContext): Promise<void> {
    if (this.membershipChanges.size > 0 || this.events.length > 0) {
      await storeReportChanges(ctx.conn, {
        memberships: [...this.membershipChanges.values()],
        projects: [...this.projectChanges.values()],
        events: this.events,
      });
    }
    if (this.changedProjects.size === 0 && this.leftWaiting.length === 0) return;
    ctx.afterCommit(() => {
      for (const [projectId, feed] of this.changedProjects) feed.projectChanged(projectId);
      for (const { feed, key, id } of this.leftWaiting) feed.membershipLeftWaiting(key, id);
    });
  }
}

/**
 * Applies several reports in one transaction with a few statements for all of them (read the
 * projects, with their locks on PostgreSQL, and their memberships; then one write per table),
 * with exactly the results and the events of applying them one after another in this order.
 * `locked`: the projects (a superset of the reports') and their memberships, when the caller
 * has just read (and locked) them in this transaction.
 */
export async function applyReports(
  ctx: ReportContext,
  items: readonly ReportItem[],
  nowMs: number,
  locked?: LockedReportTargets,
): Promise<ReportResult[]> {
  const results: (ReportResult | undefined)[] = items.map((item) => refusalOf(item.input));
  const projectIds = [
    ...new Set(items.filter((_, i) => !results[i]).map((item) => item.input.projectId)),
  ];
  if (projectIds.length === 0) return results as ReportResult[];
  const { conn } = ctx;
  let working: Working;
  if (locked) {
    working = new Working(locked.projects, locked.memberships);
  } else {
    const projects = await readProjectStates(conn, projectIds, true);
    working = new Working(
      projects,
      await readMembershipStatuses(
        conn,
        projects.map((p) => p.id),
      ),
    );
  }
  const out = results.map((result, i) => result ?? working.apply(items[i] as ReportItem, nowMs));
  await working.write(ctx);
  return tellDeletedProjects(conn, items, out, working);
}

/** Reports about projects deleted since: FAILED_PRECONDITION instead of NOT_FOUND. */
async function tellDeletedProjects(
  conn: ReportContext["conn"],
  items: readonly ReportItem[],
  results: (ReportResult | undefined)[],
  working: Working,
): Promise<ReportResult[]> {
  const missing = new Set<number>();
  items.forEach((item, i) => {
    const id = item.input.projectId;
    if (results[i]?.code === "NOT_FOUND" && !working.projects.has(id)) missing.add(id);
  });
  if (missing.size === 0) return results as ReportResult[];
  const deleted = await deletedProjectsAmong(conn, [...missing]);
  return results.map((result, i) => {
    const id = (items[i] as ReportItem).input.projectId;
    return result?.code === "NOT_FOUND" && deleted.has(id)
      ? { code: "FAILED_PRECONDITION", message: `project ${id} was deleted` }
      : (result as ReportResult);
  });
}

/** Applies one report (see applyReports). */
export async function applyReport(
  ctx: WorkContext,
  deps: ReportDeps,
  reporterKey: string,
  input: ReportInput,
  nowMs: number,
): Promise<ReportResult> {
  const [result] = await applyReports(
    await reportContextOf(ctx),
    [{ deps, reporterKey, input }],
    nowMs,
  );
  return result as ReportResult;
}

/**
 * Runs the state machine for one report on a locked project and stores the change, its
 * events and the derived project status. Also used by the core itself (missed deadlines).
 * `memberships`: the project's memberships when the caller read them in this transaction.
 */
export async function applyTransition(
  ctx: WorkContext,
  deps: ReportDeps,
  project: ProjectRow,
  membership: MembershipRow,
  report: PluginReport,
  nowMs: number,
  memberships?: readonly MembershipRow[],
): Promise<ReportResult> {
  const reportCtx = await reportContextOf(ctx);
  const rows = memberships ?? (await readMembershipStatuses(reportCtx.conn, [project.id]));
  const working = new Working(
    [project],
    rows.map((row) => (row.id === membership.id ? membership : row)),
  );
  const member = working.members.get(membership.id);
  const state = working.projects.get(project.id) as ProjectState;
  const result = working.transition(deps, state, member ?? { ...membership }, report, nowMs);
  await working.write(reportCtx);
  return result;
}

export function projectEvent(
  projectId: number,
  status: ProjectStatus,
  detail: string,
  nowMs: number,
): NewEventRow {
  return {
    project_id: projectId,
    membership_id: null,
    plugin_key: "",
    project_status: status,
    plugin_status: null,
    detail,
    created_ms: nowMs,
  };
}
