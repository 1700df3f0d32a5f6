/**
 * Applying one plugin report: checks who may report on which membership, runs the pure state
 * machine, and stores the change, its events and the derived project status in the caller's
 * transaction.
 */
import { deadlineFor, type PhaseTimeouts } from "../domain/deadlines.js";
import { applyPluginReport, type PluginReport } from "../domain/plugin-transitions.js";
import { deriveProjectStatus } from "../domain/project-status.js";
import type { PluginStatus, ProjectStatus } from "../domain/statuses.js";
import type { AssignmentRow, ProjectRow } from "../store/rows.js";
import { listProjectAssignments, updateAssignmentStatus } from "../store/sql/assignments.js";
import { appendEvents, type NewEventRow } from "../store/sql/events.js";
import { lockProject, touchProject, updateProjectStatus } from "../store/sql/projects.js";
import type { ChangeFeed } from "./change-feed.js";
import type { ErrorCode } from "./errors.js";
import { hasNul } from "./text.js";
import type { WorkContext } from "./transactions.js";

export interface ReportInput {
  readonly projectId: number;
  readonly pluginId: number;
  readonly report: PluginReport;
}

export type ReportResult =
  | { readonly code: "OK"; readonly changed: boolean }
  | { readonly code: ErrorCode; readonly message: string };

const maxModelNameLength = 1024;
const maxDetailLength = 16 * 1024;

/** Checks the fields of a report; returns the problem, or undefined when it is well formed. */
export function checkReport(input: ReportInput): string | undefined {
  if (!Number.isSafeInteger(input.projectId) || input.projectId <= 0) {
    return "project_id is required (a positive id from TrainingData)";
  }
  if (!Number.isSafeInteger(input.pluginId) || input.pluginId <= 0) {
    return "plugin_id is required (a positive id from TrainingData)";
  }
  const { report } = input;
  if (report.kind === "model-name") {
    if (report.modelName.trim() === "") return "model_name must not be empty";
    if (report.modelName.length > maxModelNameLength) {
      return `model_name is longer than ${maxModelNameLength} characters`;
    }
  }
  if (report.kind === "error") {
    if (report.detail.trim() === "") return "detail must say what went wrong";
    if (report.detail.length > maxDetailLength) {
      return `detail is longer than ${maxDetailLength} characters`;
    }
  }
  const text =
    report.kind === "model-name" ? report.modelName : report.kind === "error" ? report.detail : "";
  if (hasNul(text)) return "text must not contain the NUL character (U+0000)";
  return undefined;
}

const notFound = (message: string): ReportResult => ({ code: "NOT_FOUND", message });

export interface ReportDeps {
  readonly feed: ChangeFeed;
  readonly timeouts: PhaseTimeouts;
}

export async function applyReport(
  ctx: WorkContext,
  deps: ReportDeps,
  reporterKey: string,
  input: ReportInput,
  nowMs: number,
): Promise<ReportResult> {
  const problem = checkReport(input);
  if (problem) return { code: "INVALID_ARGUMENT", message: problem };
  const { trx } = ctx;
  const project = await lockProject(trx, input.projectId);
  if (!project) return notFound(`project ${input.projectId} does not exist`);
  // One read finds the membership and serves deriving the project status afterwards.
  const memberships = await listProjectAssignments(trx, input.projectId);
  const assignment = memberships.find((row) => row.id === input.pluginId);
  if (!assignment) {
    return notFound(`plugin_id ${input.pluginId} is not part of project ${input.projectId}`);
  }
  if (assignment.plugin_key !== reporterKey) {
    return {
      code: "PERMISSION_DENIED",
      message: `plugin_id ${input.pluginId} belongs to plugin "${assignment.plugin_key}", not "${reporterKey}"`,
    };
  }
  return applyTransition(ctx, deps, project, assignment, input.report, nowMs, memberships);
}

/**
 * Runs the state machine for one report on a locked project and stores the change, its
 * events and the derived project status. Also used by the core itself (missed deadlines).
 * `memberships`: the project's assignments when the caller read them in this transaction.
 */
export async function applyTransition(
  ctx: WorkContext,
  deps: ReportDeps,
  project: ProjectRow,
  assignment: AssignmentRow,
  report: PluginReport,
  nowMs: number,
  memberships?: readonly AssignmentRow[],
): Promise<ReportResult> {
  const { trx } = ctx;
  const input = { projectId: project.id, pluginId: assignment.id };
  const outcome = applyPluginReport(
    {
      status: assignment.status as PluginStatus,
      modelName: assignment.model_name,
      error: assignment.error,
    },
    report,
  );
  if (outcome.outcome === "duplicate") return { code: "OK", changed: false };
  if (outcome.outcome === "rejected") {
    return {
      code: "FAILED_PRECONDITION",
      message: `plugin_id ${input.pluginId}: ${outcome.reason}`,
    };
  }

  const { next } = outcome;
  await updateAssignmentStatus(
    trx,
    assignment.id,
    {
      status: next.status,
      model_name: next.modelName,
      error: next.error,
      deadline_ms: deadlineFor(next.status, deps.timeouts, nowMs),
    },
    nowMs,
  );
  const rows = memberships ?? (await listProjectAssignments(trx, input.projectId));
  const statuses = rows.map((row) =>
    row.id === assignment.id
      ? { key: row.plugin_key, status: next.status, error: next.error }
      : { key: row.plugin_key, status: row.status as PluginStatus, error: row.error },
  );
  const derived = deriveProjectStatus(statuses);
  const events: NewEventRow[] = [
    {
      project_id: input.projectId,
      assignment_id: assignment.id,
      plugin_key: assignment.plugin_key,
      project_status: derived.status,
      plugin_status: next.status,
      detail: next.modelName || next.error,
      created_ms: nowMs,
    },
  ];
  if (derived.status !== project.status || derived.error !== project.error) {
    await updateProjectStatus(trx, input.projectId, derived.status, derived.error, nowMs);
    events.push(projectEvent(input.projectId, derived.status, derived.error, nowMs));
  } else {
    await touchProject(trx, input.projectId, nowMs);
  }
  await appendEvents(trx, events);
  ctx.afterCommit(() => {
    deps.feed.projectChanged(input.projectId);
    if (assignment.status === "WAITING") {
      deps.feed.assignmentLeftWaiting(assignment.plugin_key, assignment.id);
    }
  });
  return { code: "OK", changed: true };
}

export function projectEvent(
  projectId: number,
  status: ProjectStatus,
  detail: string,
  nowMs: number,
): NewEventRow {
  return {
    project_id: projectId,
    assignment_id: null,
    plugin_key: "",
    project_status: status,
    plugin_status: null,
    detail,
    created_ms: nowMs,
  };
}
