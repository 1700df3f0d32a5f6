/** Command-line options shared by the benchmarks. */
import { parseArgs } from "node:util";

export type Dialect = "sqlite" | "postgres";

export interface BenchArgs {
  /** The dialects to run: sqlite always unless `--only-pg`, postgres with `--pg`. */
  readonly dialects: Dialect[];
  /** `--pg URL` (an existing server; a fresh database is created in it) or `auto` (a throwaway cluster). */
  readonly pg: string | undefined;
  /** Scale factor for run lengths (`--quick` = 0.3). */
  readonly scale: number;
  /** `--profile DIR`: run the core with `--cpu-prof` and write profiles there. */
  readonly profileDir: string | undefined;
  readonly values: Record<string, string | boolean | undefined>;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: false,
    options: {
      pg: { type: "string" },
      "only-pg": { type: "boolean" },
      quick: { type: "boolean" },
      profile: { type: "string" },
      streams: { type: "string" },
      replicas: { type: "string" },
      phase: { type: "string" },
      cases: { type: "string" },
      seconds: { type: "string" },
      window: { type: "string" },
      rate: { type: "string" },
      "sql-times": { type: "string" },
      "latency-seconds": { type: "string" },
      "replica-rate": { type: "string" },
      "no-replicas": { type: "boolean" },
      events: { type: "string" },
      bare: { type: "boolean" },
      "ack-delay-ms": { type: "string" },
      "idle-seconds": { type: "string" },
    },
  });
  const pg = typeof values.pg === "string" ? values.pg : undefined;
  const dialects: Dialect[] = values["only-pg"] ? [] : ["sqlite"];
  if (pg) dialects.push("postgres");
  return {
    dialects,
    pg,
    scale: values.quick ? 0.3 : 1,
    profileDir: typeof values.profile === "string" ? values.profile : undefined,
    values,
  };
}
