/**
 * The storage sweep: uploads no project or job names, once older than CORE_UPLOAD_RETENTION_MS;
 * files the core made that nothing names (leftovers of a crash or a lost race), once older than
 * an hour (or the retention, if longer); stored models no membership names. In batches of 100,
 * each its own short transaction, so the hot path never waits long behind it. On PostgreSQL only
 * the replica holding the sweep lock runs it (`leads`).
 */
import type { Knex } from "knex";
import type { Logger } from "../../logger.js";
import { deleteUnreferencedModelBlobs } from "../../store/sql/models.js";
import { deleteUnreferencedBlobs } from "../../store/sql/retention.js";

export interface StorageSweepDeps {
  readonly db: Knex;
  readonly logger: Logger;
  /** CORE_UPLOAD_RETENTION_MS. */
  readonly uploadRetentionMs: number;
}

/** Files the core made are named in the transaction that records them; this is slack. */
const generatedGraceMs = 60 * 60 * 1000;

/** One sweep; how many blobs it removed. */
export async function sweepStorage(deps: StorageSweepDeps, nowMs = Date.now()): Promise<number> {
  const removed =
    (await deleteUnreferencedBlobs(deps.db, {
      uploadsBeforeMs: nowMs - deps.uploadRetentionMs,
      generatedBeforeMs: nowMs - Math.max(generatedGraceMs, deps.uploadRetentionMs),
    })) + (await deleteUnreferencedModelBlobs(deps.db));
  if (removed > 0) deps.logger.info({ removed }, "storage sweep removed files nothing uses");
  return removed;
}

/** How often the sweep runs: a quarter of the retention, between 1 s and 10 min. */
export function storageSweepIntervalMs(uploadRetentionMs: number): number {
  return Math.min(600_000, Math.max(1000, Math.floor(uploadRetentionMs / 4)));
}

/** Runs the sweep now and then every interval; returns how to stop it (waiting for a run). */
export function startStorageSweeps(
  deps: StorageSweepDeps,
  intervalMs: number,
  leads: () => Promise<boolean>,
): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const sweep = () =>
    leads()
      .then((leader) => (leader && !stopped ? sweepStorage(deps) : 0))
      .catch((error: unknown) => {
        deps.logger.warn({ err: error }, "storage sweep failed; will retry");
      });
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
