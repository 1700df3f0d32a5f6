/**
 * Watches whether the database answers: a trivial query every interval. The health service
 * follows it (NOT_SERVING while the database is gone), so load balancers and operators see an
 * outage; calls in the meantime fail with UNAVAILABLE and the core recovers by itself.
 */
import type { Knex } from "knex";
import type { Logger } from "../../logger.js";

export function startStoreProbe(
  db: Knex,
  intervalMs: number,
  logger: Logger,
  onChange: (reachable: boolean) => void,
): () => Promise<void> {
  let reachable = true;
  let running: Promise<void> = Promise.resolve();
  const probe = async () => {
    let ok: boolean;
    try {
      await db.raw("select 1").timeout(Math.max(100, intervalMs), { cancel: false });
      ok = true;
    } catch (error) {
      ok = false;
      if (reachable) logger.error({ err: error }, "the database does not answer");
    }
    if (ok !== reachable) {
      reachable = ok;
      if (ok) logger.info("the database answers again");
      onChange(ok);
    }
  };
  const timer = setInterval(() => {
    running = running.then(probe);
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
