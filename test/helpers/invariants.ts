/**
 * Invariants of the stored workflow state, checked straight on the database (not through the
 * API), so that tests can assert that whatever happened — random reports, crashes, restarts —
 * the store is still consistent:
 *
 * - every project and plugin status is a known one;
 * - a preprocessed project's status and error equal `deriveProjectStatus` of its memberships;
 *   a project that was not preprocessed has no memberships and is PREPROCESSING (or ERROR when
 *   its dataset was rejected);
 * - TRAINED ⇔ model_name non-empty and ERROR ⇔ error non-empty (memberships), ERROR ⇔ error
 *   non-empty (projects);
 * - the events of every membership, by id, are a path of the plugin state machine starting at
 *   WAITING, with exactly one event per status passed through, ending at the current status;
 * - replaying a project's events in id order gives, after every plugin event, the project status
 *   that event recorded, and a project-level event (membership_id null) exactly when the derived
 *   project status or error changed — none missing, none extra, in order;
 * - event ids are unique and increase with time; no event points at a missing project or at a
 *   membership of another project.
 *
 * `checkStoredInvariants` returns the violations found (empty when all hold), so a test reads
 * `expect(await checkStoredInvariants(url)).toEqual([])` and sees every problem at once.
 */
import { deriveProjectStatus, type PluginMembership } from "../../src/domain/project-status.js";
import {
  isPluginStatus,
  isProjectStatus,
  type PluginStatus,
  type ProjectStatus,
} from "../../src/domain/statuses.js";
import { openStore } from "../../src/store/connect.js";
import type { EventRow, MembershipRow, ProjectRow } from "../../src/store/rows.js";

/** The workflow tables as stored, each ordered by id. */
export interface StoredState {
  readonly projects: ProjectRow[];
  readonly memberships: MembershipRow[];
  readonly events: EventRow[];
}

/** Edges of the plugin state machine (src/domain/plugin-transitions.ts) that change status. */
const nextStatuses: Record<PluginStatus, readonly PluginStatus[]> = {
  WAITING: ["PREPROCESSING", "NOT_APPLICABLE", "ERROR"],
  PREPROCESSING: ["TRAINING", "ERROR"],
  TRAINING: ["TRAINED", "ERROR"],
  TRAINED: [],
  NOT_APPLICABLE: [],
  ERROR: [],
};

/**
 * Reads projects, memberships and events in one read-only snapshot (REPEATABLE READ on
 * PostgreSQL; one read transaction on SQLite), so a core still running cannot tear the picture.
 */
export async function readStoredState(databaseUrl: string): Promise<StoredState> {
  // openStore brings the schema up to date: a no-op on a database the core already migrated.
  const store = await openStore(databaseUrl);
  try {
    if (store.dialect === "sqlite") await store.db.raw("PRAGMA query_only = ON");
    return await store.db.transaction(async (trx) => {
      if (store.dialect === "postgres") {
        await trx.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
      }
      const projects = await trx<ProjectRow>("projects").select("*").orderBy("id");
      const memberships = await trx<MembershipRow>("memberships").select("*").orderBy("id");
      const events = await trx<EventRow>("events").select("*").orderBy("id");
      return { projects, memberships, events: events.map(normalizeEvent) };
    });
  } finally {
    await store.close();
  }
}

/** SQLite returns integers as numbers, pg (with the core's parser) too; keep nulls as null. */
function normalizeEvent(event: EventRow): EventRow {
  return {
    ...event,
    id: Number(event.id),
    project_id: Number(event.project_id),
    membership_id: event.membership_id === null ? null : Number(event.membership_id),
    created_ms: Number(event.created_ms),
  };
}

/** Opens the store at `databaseUrl` and returns every violated invariant (empty: all hold). */
export async function checkStoredInvariants(databaseUrl: string): Promise<string[]> {
  return findViolations(await readStoredState(databaseUrl));
}

/** The invariants on an already read state. */
export function findViolations(state: StoredState): string[] {
  const violations: string[] = [];
  const projectIds = new Set(state.projects.map((p) => Number(p.id)));
  const membershipsById = new Map(state.memberships.map((a) => [Number(a.id), a]));

  let previous: EventRow | undefined;
  for (const event of state.events) {
    if (previous && !(event.id > previous.id)) {
      violations.push(`event ${event.id}: ids do not increase (after ${previous.id})`);
    }
    previous = event;
    if (!projectIds.has(event.project_id)) {
      violations.push(`event ${event.id}: project ${event.project_id} does not exist`);
    }
    if (event.membership_id !== null) {
      const membership = membershipsById.get(event.membership_id);
      if (!membership) {
        violations.push(`event ${event.id}: membership ${event.membership_id} does not exist`);
      } else if (Number(membership.project_id) !== event.project_id) {
        violations.push(
          `event ${event.id}: membership ${event.membership_id} belongs to project ${membership.project_id}, not ${event.project_id}`,
        );
      }
    }
  }
  for (const membership of state.memberships) {
    if (!projectIds.has(Number(membership.project_id))) {
      violations.push(
        `membership ${membership.id}: project ${membership.project_id} does not exist`,
      );
    }
  }

  const membershipsByProject = groupBy(state.memberships, (a) => Number(a.project_id));
  const eventsByProject = groupBy(state.events, (e) => e.project_id);
  for (const project of state.projects) {
    const id = Number(project.id);
    violations.push(
      ...checkProject(project, membershipsByProject.get(id) ?? [], eventsByProject.get(id) ?? []),
    );
  }
  return violations;
}

function checkProject(
  project: ProjectRow,
  memberships: readonly MembershipRow[],
  events: readonly EventRow[],
): string[] {
  const where = `project ${project.id}`;
  const violations: string[] = [];
  const add = (message: string) => violations.push(`${where}: ${message}`);

  if (!isProjectStatus(project.status)) add(`unknown status ${JSON.stringify(project.status)}`);
  if ((project.status === "ERROR") !== (project.error !== "")) {
    add(`status ${project.status} with error ${JSON.stringify(project.error.slice(0, 100))}`);
  }

  for (const a of memberships) {
    const at = `plugin_id ${a.id} (${a.plugin_key})`;
    if (!isPluginStatus(a.status)) add(`${at}: unknown status ${JSON.stringify(a.status)}`);
    if ((a.status === "TRAINED") !== (a.model_name !== "")) {
      add(
        `${at}: status ${a.status} with model_name ${JSON.stringify(a.model_name.slice(0, 100))}`,
      );
    }
    // ERROR says why; NOT_APPLICABLE says why when the core decided it (unmet needed columns).
    const errorAllowed = a.status === "NOT_APPLICABLE" || a.status === "ERROR";
    if ((a.status === "ERROR" && a.error === "") || (!errorAllowed && a.error !== "")) {
      add(`${at}: status ${a.status} with error ${JSON.stringify(a.error.slice(0, 100))}`);
    }
  }

  const preprocessed = project.preprocessed_ms !== null;
  if (preprocessed) {
    const keys = parseKeys(project.plugin_keys_json);
    const assigned = memberships.map((a) => a.plugin_key);
    if (JSON.stringify([...assigned].sort()) !== JSON.stringify([...keys].sort())) {
      add(
        `memberships ${JSON.stringify(assigned)} differ from plugin_keys ${JSON.stringify(keys)}`,
      );
    }
    if (memberships.every((a) => isPluginStatus(a.status))) {
      const derived = deriveProjectStatus(memberships.map(membershipOf));
      if (derived.status !== project.status || derived.error !== project.error) {
        add(
          `stored ${project.status} ${JSON.stringify(project.error)} but its plugins derive ${derived.status} ${JSON.stringify(derived.error)} (${memberships.map((a) => `${a.id}:${a.status}`).join(", ")})`,
        );
      }
    }
  } else {
    if (memberships.length > 0) add(`${memberships.length} membership(s) before preprocessing`);
    if (project.status !== "PREPROCESSING" && project.status !== "ERROR") {
      add(`status ${project.status} before preprocessing finished`);
    }
  }

  violations.push(...checkMembershipHistories(where, memberships, events));
  violations.push(...replayProjectEvents(project, memberships, events));
  return violations;
}

/** Every membership's own events: a path WAITING → … → current status, one event per status. */
function checkMembershipHistories(
  where: string,
  memberships: readonly MembershipRow[],
  events: readonly EventRow[],
): string[] {
  const violations: string[] = [];
  const byMembership = groupBy(
    events.filter((e) => e.membership_id !== null),
    (e) => e.membership_id as number,
  );
  for (const a of memberships) {
    const at = `${where}: plugin_id ${a.id} (${a.plugin_key})`;
    const history = byMembership.get(Number(a.id)) ?? [];
    const path = history.map((e) => e.plugin_status ?? "<null>");
    const shown = `[${path.join(" → ")}]`;
    if (history.length === 0) {
      violations.push(`${at}: no events at all`);
      continue;
    }
    // The core creates a membership whose needs the training set does not meet NOT_APPLICABLE.
    const decidedByCore = shown === "[NOT_APPLICABLE]" && a.error !== "";
    if (path[0] !== "WAITING" && !decidedByCore) {
      violations.push(`${at}: history ${shown} does not start at WAITING`);
    }
    if (new Set(path).size !== path.length) {
      violations.push(`${at}: history ${shown} repeats a status (one event per status expected)`);
    }
    for (let i = 1; i < path.length; i++) {
      const from = path[i - 1] as string;
      const to = path[i] as string;
      const allowed = isPluginStatus(from) ? nextStatuses[from] : [];
      if (!(allowed as readonly string[]).includes(to)) {
        violations.push(`${at}: history ${shown} has the invalid step ${from} → ${to}`);
      }
    }
    if (path.at(-1) !== a.status) {
      violations.push(`${at}: history ${shown} ends elsewhere than the stored status ${a.status}`);
    }
    for (const e of history) {
      if (e.plugin_key !== a.plugin_key) {
        violations.push(`${at}: event ${e.id} names plugin key ${JSON.stringify(e.plugin_key)}`);
      }
    }
    const last = history.at(-1) as EventRow;
    const expectedDetail =
      a.status === "TRAINED" ? a.model_name : a.status === "ERROR" || decidedByCore ? a.error : "";
    if (last.plugin_status === a.status && last.detail !== expectedDetail) {
      violations.push(
        `${at}: last event detail ${JSON.stringify(last.detail.slice(0, 100))} differs from ${JSON.stringify(expectedDetail.slice(0, 100))}`,
      );
    }
  }
  return violations;
}

/**
 * Replays the project's events in id order: the project-level events must be exactly the
 * changes of the derived status (and error), each right after the plugin event that caused it.
 */
function replayProjectEvents(
  project: ProjectRow,
  memberships: readonly MembershipRow[],
  events: readonly EventRow[],
): string[] {
  const where = `project ${project.id}`;
  const violations: string[] = [];
  const add = (message: string) => violations.push(`${where}: ${message}`);
  const keyOf = new Map(memberships.map((a) => [Number(a.id), a.plugin_key]));

  const first = events[0];
  if (!first) return [`${where}: no events at all`];
  if (first.membership_id !== null || first.project_status !== "PREPROCESSING") {
    add(`first event ${first.id} is not the project-level PREPROCESSING of its creation`);
  }

  let status: string = first.project_status;
  let error = first.project_status === "ERROR" ? first.detail : "";
  const replayed = new Map<number, PluginMembership>();
  /** The project-level event the previous plugin event makes due, if any. */
  let due: { status: ProjectStatus; error: string; after: number } | undefined;
  let lastMs = first.created_ms;

  for (const event of events.slice(1)) {
    if (event.created_ms < lastMs) {
      add(`event ${event.id} is older (${event.created_ms}) than the one before (${lastMs})`);
    }
    lastMs = Math.max(lastMs, event.created_ms);

    if (event.membership_id === null) {
      if (due) {
        if (event.project_status !== due.status || event.detail !== due.error) {
          add(
            `project event ${event.id} says ${event.project_status} ${JSON.stringify(event.detail.slice(0, 100))}, but the plugins derive ${due.status} ${JSON.stringify(due.error.slice(0, 100))}`,
          );
        }
        due = undefined;
      } else if (replayed.size === 0 && event.project_status === "ERROR") {
        // Preprocessing rejected the dataset: the only project event without plugin events.
      } else {
        add(
          `project event ${event.id} (${event.project_status}) follows no change of the derived status`,
        );
      }
      status = event.project_status;
      error = event.detail;
      continue;
    }

    if (due) {
      add(`no project event for the change to ${due.status} after event ${due.after}`);
      status = due.status;
      error = due.error;
      due = undefined;
    }
    const pluginStatus = event.plugin_status;
    if (pluginStatus === null || !isPluginStatus(pluginStatus)) {
      add(`event ${event.id} has plugin status ${JSON.stringify(pluginStatus)}`);
      continue;
    }
    replayed.set(event.membership_id, {
      key: keyOf.get(event.membership_id) ?? event.plugin_key,
      status: pluginStatus,
      error: pluginStatus === "ERROR" ? event.detail : "",
    });
    if (pluginStatus === "WAITING") {
      // Memberships are created (all WAITING) while the project is PREPROCESSING.
      if (event.project_status !== "PREPROCESSING" || status !== "PREPROCESSING") {
        add(`WAITING event ${event.id} while the project is ${status}/${event.project_status}`);
      }
      continue;
    }
    const derived = deriveProjectStatus([...replayed.values()]);
    if (event.project_status !== derived.status) {
      add(
        `event ${event.id} (plugin_id ${event.membership_id} → ${pluginStatus}) records project ${event.project_status}, but the plugins derive ${derived.status}`,
      );
    }
    if (derived.status !== status || derived.error !== error) {
      due = { status: derived.status, error: derived.error, after: event.id };
    }
  }
  if (due) add(`no project event for the change to ${due.status} after event ${due.after}`);
  else if (status !== project.status) {
    add(`events end with project status ${status}, the stored status is ${project.status}`);
  }
  return violations;
}

function membershipOf(a: MembershipRow): PluginMembership {
  return { key: a.plugin_key, status: a.status as PluginStatus, error: a.error };
}

function parseKeys(json: string): string[] {
  try {
    const keys: unknown = JSON.parse(json);
    return Array.isArray(keys) ? keys.map(String) : [];
  } catch {
    return [];
  }
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}
