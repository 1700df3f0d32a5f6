/**
 * Databases for benchmark runs: a fresh SQLite file, or a fresh database in a PostgreSQL server
 * (`--pg URL`, or `--pg auto` for a throwaway cluster from test/helpers/postgres-cluster.ts,
 * which runs with fsync=off and synchronous_commit=off: numbers on it are an upper bound).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import {
  type Cluster,
  findPostgresBindir,
  startCluster,
} from "../../test/helpers/postgres-cluster.js";
import type { BenchArgs, Dialect } from "./args.js";
import { processTreeCpuSeconds } from "./processes.js";

export interface BenchDatabase {
  readonly dialect: Dialect;
  readonly url: string;
  drop(): Promise<void>;
}

export interface Databases {
  /** A new, empty database of `dialect`. */
  create(dialect: Dialect): Promise<BenchDatabase>;
  /** What the PostgreSQL server is (for the report), if any. */
  readonly postgres: string | undefined;
  /**
   * CPU seconds the PostgreSQL server has used so far (every backend), when it runs here
   * (`--pg auto`); undefined for a server given with `--pg URL`.
   */
  serverCpuSeconds(): number | undefined;
  close(): Promise<void>;
}

export async function openDatabases(args: BenchArgs): Promise<Databases> {
  let cluster: Cluster | undefined;
  let adminUrl: string | undefined;
  let postgres: string | undefined;
  if (args.pg === "auto") {
    const bindir = findPostgresBindir();
    if (!bindir)
      throw new Error("--pg auto: no PostgreSQL binaries found (apt-get install postgresql)");
    cluster = await startCluster(bindir, true);
    adminUrl = cluster.url;
    postgres = "throwaway cluster (fsync=off, synchronous_commit=off)";
  } else if (args.pg) {
    adminUrl = args.pg;
    postgres = "server given with --pg";
  }
  return {
    postgres,
    serverCpuSeconds() {
      const pid = cluster?.serverPid();
      return pid === undefined ? undefined : processTreeCpuSeconds(pid);
    },
    async create(dialect) {
      if (dialect === "sqlite") {
        const dir = await mkdtemp(join(tmpdir(), "training-core-bench-"));
        return {
          dialect,
          url: `sqlite:${join(dir, "bench.db")}`,
          drop: () => rm(dir, { recursive: true, force: true }),
        };
      }
      if (!adminUrl) throw new Error("PostgreSQL needs --pg URL or --pg auto");
      const name = `bench_${randomBytes(6).toString("hex")}`;
      await admin(adminUrl, `CREATE DATABASE "${name}"`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return {
        dialect,
        url: url.toString(),
        drop: () => admin(adminUrl as string, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
      };
    },
    async close() {
      await cluster?.stop();
    },
  };
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
