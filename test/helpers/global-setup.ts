// Vitest global setup: starts a throwaway PostgreSQL cluster for the whole test run and hands
// its URL to the tests via `inject("pgUrl")` (see test/helpers/databases.ts).
//
// - TEST_PG_URL set: that server is used as is (it must allow CREATE/DROP DATABASE).
// - Otherwise, when the PostgreSQL server binaries are installed (`pg_config --bindir`, or
//   /usr/lib/postgresql/<version>/bin), a fresh cluster is created in a temporary directory,
//   listening on 127.0.0.1 on a free port with trust auth, and removed again after the run.
// - No binaries: PostgreSQL tests are skipped with a warning, except on CI (CI env set), where
//   the run fails because CI must test PostgreSQL.
import type { TestProject } from "vitest/node";
import { findPostgresBindir, startCluster } from "./postgres-cluster.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Superuser URL of the test PostgreSQL server (maintenance database), or null if none. */
    pgUrl: string | null;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.TEST_PG_URL;
  if (external) {
    project.provide("pgUrl", external);
    return async () => {};
  }

  const bindir = findPostgresBindir();
  if (!bindir) {
    const message =
      "PostgreSQL server binaries not found (no initdb/pg_ctl via `pg_config --bindir` or " +
      "/usr/lib/postgresql/*/bin) and TEST_PG_URL is not set";
    if (process.env.CI) throw new Error(`${message}: CI must test PostgreSQL.`);
    console.warn(`[global-setup] WARNING: ${message}; PostgreSQL tests are skipped.`);
    project.provide("pgUrl", null);
    return async () => {};
  }

  const cluster = await startCluster(bindir);
  project.provide("pgUrl", cluster.url);
  return cluster.stop;
}
