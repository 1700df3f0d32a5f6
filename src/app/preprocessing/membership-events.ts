/**
 * The events of a project's new memberships, in the order the status rules replay them: the
 * WAITING ones first, then those the core set NOT_APPLICABLE itself (their needs unmet), each
 * recording the project status derived after it, and a project event right after the one that
 * changed it (every membership NOT_APPLICABLE: the project is in ERROR).
 */
import { deriveProjectStatus, type PluginMembership } from "../../domain/project-status.js";
import type { PluginStatus, ProjectStatus } from "../../domain/statuses.js";
import type { MembershipRow } from "../../store/rows.js";
import type { NewEventRow } from "../../store/sql/events.js";
import { projectEvent } from "../reports/plugin-reports.js";

export interface MembershipEvents {
  readonly events: NewEventRow[];
  /** The project's status once they are applied; PREPROCESSING when it does not change. */
  readonly status: ProjectStatus;
  readonly error: string;
}

export function membershipEvents(
  projectId: number,
  memberships: readonly MembershipRow[],
  nowMs: number,
): MembershipEvents {
  const ordered = [
    ...memberships.filter((m) => m.status === "WAITING"),
    ...memberships.filter((m) => m.status !== "WAITING"),
  ];
  const replayed: PluginMembership[] = [];
  const events: NewEventRow[] = [];
  let current = { status: "PREPROCESSING" as ProjectStatus, error: "" };
  for (const membership of ordered) {
    const status = membership.status as PluginStatus;
    replayed.push({ key: membership.plugin_key, status, error: membership.error });
    const derived = status === "WAITING" ? current : deriveProjectStatus(replayed);
    events.push({
      project_id: projectId,
      membership_id: membership.id,
      plugin_key: membership.plugin_key,
      project_status: derived.status,
      plugin_status: status,
      detail: membership.error,
      created_ms: nowMs,
    });
    if (derived.status !== current.status || derived.error !== current.error) {
      events.push(projectEvent(projectId, derived.status, derived.error, nowMs));
      current = derived;
    }
  }
  return { events, ...current };
}
