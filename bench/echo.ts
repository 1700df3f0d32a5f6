/**
 * `echo`: the ceiling for plugin traffic. A bare grpc-js bidi server that acks each
 * ConnectRequest at once, and a client keeping the same in-flight window as our plugins (16
 * TrainingData × 3 reports), each in its own process; messages per second over one stream and
 * over 100 streams. Plus knex's cost per statement against the raw driver, as context for what
 * one report costs in the store. `lifecycle` runs the same measurements and prints its acked
 * reports per second as a ratio of this ceiling.
 */
import knexFactory, { type Knex } from "knex";
import pg from "pg";
import { type BenchArgs, type Dialect, parseBenchArgs } from "./lib/args.js";
import { openDatabases } from "./lib/databases.js";
import { cpuSecondsOf, forkWorker } from "./lib/processes.js";
import { describeMachine, machine, printTable, writeResults } from "./lib/report.js";

/** 16 TrainingData in flight per stream × 3 reports each, as the lifecycle plugins pipeline. */
export const echoWindow = 48;

export interface EchoResult {
  readonly streams: number;
  readonly window: number;
  readonly messagesPerSecond: number;
  /** CPU per message answered (ms) of the server process, and of the client process. */
  readonly serverCpuMsPerMessage: number;
  readonly clientCpuMsPerMessage: number;
}

export async function measureEcho(streams: number, durationMs: number): Promise<EchoResult> {
  const server = forkWorker<{ type: string; port?: number }>("echo-worker.ts");
  const client = forkWorker<{ type: string; messages?: number; seconds?: number }>(
    "echo-worker.ts",
  );
  try {
    server.send({ type: "echo-server" });
    const { port } = await server.next<{ type: string; port: number }>("listening");
    client.send({
      type: "echo-client",
      address: `127.0.0.1:${port}`,
      streams,
      window: echoWindow,
      durationMs,
    });
    await client.next("echo-measuring");
    const cpu = () => [server, client].map((w) => cpuSecondsOf(w.child.pid ?? 0));
    const before = cpu();
    const result = await client.next<{ type: string; messages: number; seconds: number }>(
      "echo-result",
    );
    const [serverCpu, clientCpu] = cpu().map((seconds, i) => seconds - (before[i] as number));
    const msPerMessage = (seconds = 0) => (seconds * 1000) / result.messages;
    return {
      streams,
      window: echoWindow,
      messagesPerSecond: result.messages / result.seconds,
      serverCpuMsPerMessage: msPerMessage(serverCpu),
      clientCpuMsPerMessage: msPerMessage(clientCpu),
    };
  } finally {
    client.kill();
    server.kill();
  }
}

export interface KnexCost {
  readonly dialect: Dialect;
  readonly statement: string;
  readonly rawMicros: number;
  readonly knexMicros: number;
}

async function timeIt(iterations: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(500, iterations); i++) await fn(i);
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await fn(i);
  return ((performance.now() - started) * 1000) / iterations;
}

/**
 * µs per statement: the raw driver vs knex, same SQL, one connection, inside one transaction
 * (as the core runs them: the commit's fsync is paid once per group commit, not here).
 */
export async function measureKnex(dialect: Dialect, url: string, scale = 1): Promise<KnexCost[]> {
  const sqlite = dialect === "sqlite";
  const db: Knex = knexFactory(
    sqlite
      ? { client: "better-sqlite3", connection: { filename: url.slice(7) }, useNullAsDefault: true }
      : { client: "pg", connection: url, pool: { min: 1, max: 1 } },
  );
  const iterations = Math.round((sqlite ? 20_000 : 4_000) * scale);
  const rows = 1000;
  try {
    await db.schema.dropTableIfExists("bench_knex");
    await db.schema.createTable("bench_knex", (t) => {
      t.integer("id").primary();
      t.string("status").notNullable();
      t.bigInteger("updated_ms").notNullable();
    });
    await db.batchInsert(
      "bench_knex",
      Array.from({ length: rows }, (_, id) => ({ id, status: "WAITING", updated_ms: 0 })),
      100,
    );
    const select = "select * from bench_knex where id = ? limit 1";
    const update = "update bench_knex set status = ?, updated_ms = ? where id = ?";
    let raw: { select(id: number): Promise<unknown>; update(id: number): Promise<unknown> };
    let close = async () => {};
    if (sqlite) {
      const connection = (await db.client.acquireConnection()) as import("better-sqlite3").Database;
      const s = connection.prepare(select);
      const u = connection.prepare(update);
      raw = {
        select: async (id) => s.get(id),
        update: async (id) => u.run("TRAINING", id, id),
      };
      connection.exec("BEGIN");
      close = async () => {
        connection.exec("COMMIT");
        await db.client.releaseConnection(connection);
      };
    } else {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query("BEGIN");
      const pgSelect = select.replace("?", "$1");
      const pgUpdate = "update bench_knex set status = $1, updated_ms = $2 where id = $3";
      raw = {
        select: (id) => client.query(pgSelect, [id]),
        update: (id) => client.query(pgUpdate, ["TRAINING", id, id]),
      };
      close = async () => {
        await client.query("COMMIT");
        await client.end();
      };
    }
    const rawSelect = await timeIt(iterations, (i) => raw.select(i % rows));
    const rawUpdate = await timeIt(iterations, (i) => raw.update(i % rows));
    await close();
    const trx = await db.transaction();
    const knexSelect = await timeIt(iterations, (i) =>
      trx("bench_knex")
        .where({ id: i % rows })
        .first(),
    );
    const knexUpdate = await timeIt(iterations, (i) =>
      trx("bench_knex")
        .where({ id: i % rows })
        .update({ status: "TRAINING", updated_ms: i }),
    );
    await trx.commit();
    return [
      { dialect, statement: "select by primary key", rawMicros: rawSelect, knexMicros: knexSelect },
      { dialect, statement: "update by primary key", rawMicros: rawUpdate, knexMicros: knexUpdate },
    ];
  } finally {
    await db.destroy();
  }
}

export function knexRows(costs: readonly KnexCost[]) {
  return costs.map((c) => ({
    dialect: c.dialect,
    statement: c.statement,
    "raw driver µs": c.rawMicros,
    "knex µs": c.knexMicros,
    "knex overhead µs": c.knexMicros - c.rawMicros,
  }));
}

export async function runEchoBenchmarks(args: BenchArgs) {
  const durationMs = Math.round(4000 * args.scale);
  const echo: EchoResult[] = [];
  for (const streams of [1, 100]) echo.push(await measureEcho(streams, durationMs));
  const databases = await openDatabases(args);
  const knex: KnexCost[] = [];
  try {
    for (const dialect of args.dialects) {
      const database = await databases.create(dialect);
      try {
        knex.push(...(await measureKnex(dialect, database.url, args.scale)));
      } finally {
        await database.drop();
      }
    }
  } finally {
    await databases.close();
  }
  return { echo, knex, postgres: databases.postgres };
}

export function echoRows(echo: readonly EchoResult[]) {
  return echo.map((e) => ({
    streams: e.streams,
    "in flight per stream": e.window,
    "messages/s": e.messagesPerSecond,
    "server CPU ms/msg": e.serverCpuMsPerMessage,
    "client CPU ms/msg": e.clientCpuMsPerMessage,
  }));
}

/** `npm run bench -- echo [--pg URL|auto]` */
export async function run(argv: readonly string[]): Promise<void> {
  const args = parseBenchArgs(argv);
  console.log(describeMachine(machine()));
  const results = await runEchoBenchmarks(args);
  printTable("bare grpc-js bidi echo (ConnectRequest → Ack)", echoRows(results.echo));
  printTable("knex cost per statement", knexRows(results.knex));
  writeResults("echo", results);
}
