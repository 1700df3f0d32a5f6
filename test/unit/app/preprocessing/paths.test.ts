/**
 * The pieces the preprocessing paths share (src/app/preprocessing-pipeline.ts,
 * preprocessing-progress.ts) and the choice of the worker-thread path.
 */
import { gzipSync } from "node:zlib";
import knexFactory from "knex";
import pino from "pino";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { ChangeFeed } from "../../../../src/app/change-feed/change-feed.js";
import { DatasetError } from "../../../../src/app/preprocessing/csv/index.js";
import { CompressedFileError } from "../../../../src/app/preprocessing/dataset-source.js";
import {
  isDatasetRejection,
  preprocessStoredBytes,
} from "../../../../src/app/preprocessing/pipeline.js";
import { PreprocessingProgress } from "../../../../src/app/preprocessing/progress.js";
import { DEFAULT_WORKER_MIN_BYTES } from "../../../../src/app/preprocessing/worker/start-worker.js";
import { workerForSize } from "../../../../src/app/preprocessing/worker-path.js";
import { chunked, MemorySink } from "../../preprocessing/csv/helpers.js";

const csv = "case,activity\nc1,a\nc1,b\nc2,a\nc3,a\nc4,b\n";

describe("preprocessStoredBytes", () => {
  it.each([
    ["plain", Buffer.from(csv)],
    ["gzip", gzipSync(csv)],
  ])("splits a %s stored file and counts the stored bytes read", async (_name, stored) => {
    const training = new MemorySink();
    const holdout = new MemorySink();
    const storedBytes: number[] = [];
    const rows: number[] = [];
    const summary = await preprocessStoredBytes(
      chunked(stored, 7),
      { caseIdColumn: "", holdoutFraction: 0.5 },
      { training, holdout },
      { onStoredBytes: (bytes) => storedBytes.push(bytes), onRows: (n) => rows.push(n) },
    );
    expect(summary).toMatchObject({ rows: 5, cases: 4, caseIdColumn: "case" });
    expect(training.text + holdout.text.replace("case,activity\n", "")).toHaveLength(csv.length);
    expect(storedBytes.at(-1)).toBe(stored.length);
    expect(storedBytes).toEqual([...storedBytes].sort((a, b) => a - b));
    expect(rows.at(-1)).toBe(5);
  });

  it("rejects a bad file with a dataset rejection naming the line", async () => {
    const error = await preprocessStoredBytes(
      chunked(Buffer.from("a,b\n1,2\n1,2,3\n"), 4),
      { caseIdColumn: "", holdoutFraction: 0.2 },
      { training: new MemorySink(), holdout: new MemorySink() },
      { onStoredBytes: () => {} },
    ).catch((e: unknown) => e);
    expect(isDatasetRejection(error)).toBe(true);
    expect((error as Error).message).toMatch(/^line 3: /);
  });

  it("tells dataset rejections from other errors", () => {
    expect(isDatasetRejection(new DatasetError(1, "x"))).toBe(true);
    expect(isDatasetRejection(new CompressedFileError("bad gzip"))).toBe(true);
    expect(isDatasetRejection(new Error("disk I/O error"))).toBe(false);
  });
});

describe("PreprocessingProgress", () => {
  const dbs: ReturnType<typeof knexFactory>[] = [];
  afterEach(async () => {
    for (const db of dbs.splice(0)) await db.destroy();
  });

  function memoryDatabase() {
    const db = knexFactory({
      client: "better-sqlite3",
      connection: { filename: ":memory:" },
      useNullAsDefault: true,
    });
    dbs.push(db);
    return db;
  }

  it("writes reports one after another, in order, and settles after the last", async () => {
    const db = memoryDatabase();
    await db.schema.createTable("projects", (t) => {
      t.integer("id").primary();
      t.integer("progress_rows");
      t.integer("progress_bytes");
    });
    await db("projects").insert({ id: 1, progress_rows: 0, progress_bytes: 0 });
    const feed = new ChangeFeed();
    const seen: unknown[] = [];
    feed.onProjectChanged(1, () => seen.push(1));
    const progress = new PreprocessingProgress({ db, feed, logger: pino({ level: "silent" }) });
    progress.report(1, 10, 100);
    progress.report(1, 20, 200);
    await progress.settled();
    expect(await db("projects").where({ id: 1 }).first()).toMatchObject({
      progress_rows: 20,
      progress_bytes: 200,
    });
    expect(seen).toHaveLength(2);
  });

  it("logs a failed write and goes on", async () => {
    const db = memoryDatabase(); // no projects table: every write fails
    const warnings: string[] = [];
    const logger = pino({ level: "warn" }, { write: (line: string) => warnings.push(line) });
    const progress = new PreprocessingProgress({ db, feed: new ChangeFeed(), logger });
    progress.report(1, 10, 100);
    progress.report(1, 20, 200);
    await expect(progress.settled()).resolves.toBeUndefined();
    expect(warnings.filter((w) => w.includes("could not store progress"))).toHaveLength(2);
  });
});

describe("workerForSize", () => {
  const sqliteFile = knexFactory({
    client: "better-sqlite3",
    connection: { filename: "/tmp/never-opened.db" },
    useNullAsDefault: true,
  });
  afterAll(() => sqliteFile.destroy());

  it("sends files from the threshold on to a worker on an SQLite file", () => {
    expect(workerForSize(undefined, sqliteFile, DEFAULT_WORKER_MIN_BYTES - 1)).toBeUndefined();
    expect(workerForSize(undefined, sqliteFile, DEFAULT_WORKER_MIN_BYTES)).toEqual({
      sqliteFilename: "/tmp/never-opened.db",
    });
  });

  it("follows the configured options: a threshold of their own, or never", () => {
    const options = { sqliteFilename: "/tmp/x.db", minBytes: 1024 };
    expect(workerForSize(options, sqliteFile, 1024)).toBe(options);
    expect(workerForSize(options, sqliteFile, 1023)).toBeUndefined();
    expect(workerForSize(false, sqliteFile, 10 * DEFAULT_WORKER_MIN_BYTES)).toBeUndefined();
  });

  it("never uses a worker for in-memory SQLite", () => {
    const memory = knexFactory({
      client: "better-sqlite3",
      connection: { filename: ":memory:" },
      useNullAsDefault: true,
    });
    expect(workerForSize(undefined, memory, 10 * DEFAULT_WORKER_MIN_BYTES)).toBeUndefined();
    return memory.destroy();
  });
});
