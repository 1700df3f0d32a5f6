/**
 * Puts plugin memberships whose phase deadline passed in ERROR (and prescription requests past
 * theirs in TIMED_OUT: see `request-deadlines.ts`), a few at a time, through the
 * same transition path as a plugin's own ErrorReport (so the project status is derived again and
 * events are stored). Deadlines live in the database, so they survive restarts: a sweep right
 * after start catches everything that expired while the core was down.
 */
import type { PhaseTimeouts } from "../../domain/deadlines.js";
import { deadlineMissedReason } from "../../domain/deadlines.js";
import type { PluginStatus } from "../../domain/statuses.js";
import type { Logger } from "../../logger.js";
import { findMembership, listOverdueMemberships } from "../../store/sql/memberships.js";
import { lockProject } from "../../store/sql/projects.js";
import type { ChangeFeed } from "../change-feed/change-feed.js";
import type { CoreMetrics } from "../metrics/core-metrics.js";
import { sweepRequestDeadlines } from "../prescriptions/request-deadlines.js";
import { sweepStreamDeadlines } from "../prescriptions/stream/stream-deadlines.js";
import type { GroupCommitter } from "./group-commit.js";
import { applyTransition } from "./plugin-reports.js";

const batchSize = 100;

export interface DeadlineSweeperDeps {
  readonly committer: GroupCommitter;
  readonly feed: ChangeFeed;
  readonly timeouts: PhaseTimeouts;
  readonly logger: Logger;
  /** Reads outside a transaction. */
  readonly db: import("knex").Knex;
  /** Counts expiries. */
  readonly metrics: CoreMetrics;
  /** CORE_PRESCRIPTION_TIMEOUT_MS; without it prescription requests are not swept. */
  readonly prescriptionTimeoutMs?: number;
  /** CORE_STREAM_PRESCRIPTION_TIMEOUT_MS; without it live requests are not swept. */
  readonly streamPrescriptionTimeoutMs?: number;
}

/** Expires every overdue membership and request; returns how many. */
export async function sweepDeadlines(
  deps: DeadlineSweeperDeps,
  nowMs = Date.now(),
): Promise<number> {
  const requests =
    deps.prescriptionTimeoutMs === undefined
      ? 0
      : await sweepRequestDeadlines(
          { ...deps, prescriptionTimeoutMs: deps.prescriptionTimeoutMs },
          nowMs,
        );
  const live =
    deps.streamPrescriptionTimeoutMs === undefined
      ? 0
      : await sweepStreamDeadlines(
          { ...deps, streamPrescriptionTimeoutMs: deps.streamPrescriptionTimeoutMs },
          nowMs,
        );
  return requests + live + (await sweepMembershipDeadlines(deps, nowMs));
}

/** Expires every overdue membership; returns how many went to ERROR. */
async function sweepMembershipDeadlines(deps: DeadlineSweeperDeps, nowMs: number): Promise<number> {
  let expired = 0;
  for (;;) {
    const overdue = await listOverdueMemberships(deps.db, nowMs, batchSize);
    for (const candidate of overdue) {
      const result = await deps.committer.run(
        async (ctx) => {
          const project = await lockProject(ctx.trx, candidate.project_id);
          const membership = await findMembership(ctx.trx, candidate.id);
          if (
            !project ||
            !membership ||
            membership.deadline_ms === null ||
            membership.deadline_ms > nowMs
          ) {
            return false;
          }
          const detail = deadlineMissedReason(membership.status as PluginStatus, deps.timeouts);
          const outcome = await applyTransition(
            ctx,
            deps,
            project,
            membership,
            { kind: "error", detail },
            // Taken under the project's lock, so its events keep the order of their times.
            Date.now(),
          );
          return outcome.code === "OK";
        },
        [candidate.project_id],
      );
      if (result) {
        expired++;
        deps.metrics.deadlineExpired(candidate.status);
        deps.logger.warn(
          {
            projectId: candidate.project_id,
            pluginId: candidate.id,
            key: candidate.plugin_key,
            status: candidate.status,
          },
          "plugin missed its deadline",
        );
      }
    }
    if (overdue.length < batchSize) return expired;
  }
}

/**
 * Sweeps every `intervalMs` until the returned function is called. With several replicas only
 * the one that `leads()` sweeps (the others would only find the same rows already expired).
 */
export function startDeadlineSweeps(
  deps: DeadlineSweeperDeps,
  intervalMs: number,
  leads: () => Promise<boolean> = async () => true,
): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const sweep = () =>
    leads()
      .then((leader) => (leader && !stopped ? sweepDeadlines(deps) : 0))
      .catch((error: unknown) => {
        deps.logger.warn({ err: error }, "deadline sweep failed; will retry");
      });
  running = sweep();
  const timer = setInterval(() => {
    if (!stopped) running = running.then(sweep);
  }, intervalMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
