// Small files are preprocessed into memory and stored with their dataset in one transaction:
// one commit instead of one per blob step, and no incomplete output blob is ever visible.
import { gzipSync } from "node:zlib";
import { beforeEach, expect, it } from "vitest";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import type { BlobRow } from "../../src/store/rows.js";
import { describeEachDialect } from "../helpers/databases.js";
import { download, sha256Of } from "../helpers/datasets.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import type { TestPlugin } from "../helpers/plugin-client.js";
import { createProject, getProject, watchToEnd } from "../helpers/projects.js";

/** 400 rows in 100 cases, as the `datasets` tests use. */
const csv = Buffer.from(
  [
    "case,activity,time",
    ...Array.from(
      { length: 400 },
      (_, i) =>
        `c${Math.floor(i / 4)},a${i % 4},2024-01-01T00:00:${String(i % 60).padStart(2, "0")}Z`,
    ),
    "",
  ].join("\n"),
);

interface LoggedQuery {
  readonly sql: string;
  readonly bindings: readonly unknown[];
  /** knex's id of the transaction the statement ran in; undefined: a statement of its own. */
  readonly txId: string | undefined;
}

describeEachDialect("small datasets", (dialect) => {
  const env = freshCorePerTest(dialect);
  let plugin: TestPlugin;

  beforeEach(async () => {
    plugin = await env.connect("knn");
  });

  /** Every statement the core runs through knex from now on. */
  function logQueries(): LoggedQuery[] {
    const queries: LoggedQuery[] = [];
    env.core.core.store.db.on(
      "query",
      (query: { sql: string; bindings?: unknown[]; __knexTxId?: string }) => {
        queries.push({ sql: query.sql, bindings: query.bindings ?? [], txId: query.__knexTxId });
      },
    );
    return queries;
  }

  it("stores both outputs, the dataset and its memberships in one transaction", async () => {
    const queries = logQueries();
    const project = await createProject(env.core.projects, {
      datasetCsv: csv,
      pluginKeys: ["knn"],
      holdoutFraction: 0.25,
    });
    const td = await plugin.trainingData.next();
    await env.core.core.preprocessingIdle();

    const stored = await env.core.core.store
      .db<BlobRow>("blobs")
      .whereIn("id", [td.trainingDfName, await holdoutBlobId(project.id)]);
    expect(stored).toHaveLength(2);
    // The writes of the output blobs (their rows and their chunks)...
    const outputIds = new Set(stored.map((blob) => blob.id));
    const blobWrites = queries.filter(
      (q) =>
        /^\s*(insert|update|delete)/i.test(q.sql) &&
        q.bindings.some((value) => typeof value === "string" && outputIds.has(value)),
    );
    expect(blobWrites.length).toBeGreaterThanOrEqual(4); // two blob rows, a chunk row each
    // ... all ran in the transaction that created the memberships: one commit for all of it.
    const membershipInsert = queries.find((q) =>
      /^\s*insert into ["`]memberships["`]/i.test(q.sql),
    );
    expect(membershipInsert?.txId).toBeDefined();
    expect(new Set(blobWrites.map((q) => q.txId))).toEqual(new Set([membershipInsert?.txId]));
    // Nothing of this project was written outside it after the claim (no progress writes).
    const projectWritesOutside = queries.filter(
      (q) =>
        /^\s*update ["`]projects["`]/i.test(q.sql) &&
        !/preprocessing_replica/.test(q.sql) &&
        q.txId !== membershipInsert?.txId,
    );
    expect(projectWritesOutside).toEqual([]);

    // The blobs are what the streaming path stores: complete, size and sha256, 1 MiB rows.
    const training = await download(env.core.datasets, td.trainingDfName);
    const row = stored.find((blob) => blob.id === td.trainingDfName);
    expect(row).toMatchObject({
      size_bytes: training.length,
      sha256: sha256Of(training),
      writer_replica: expect.any(String),
    });
    expect(Boolean(row?.complete)).toBe(true);
    const chunks = await env.core.core.store
      .db("blob_chunks")
      .select("seq", "start_offset")
      .where("blob_id", td.trainingDfName)
      .orderBy("seq");
    expect(chunks.map((c) => [Number(c.seq), Number(c.start_offset)])).toEqual([[0, 0]]);
    expect(training.toString().split("\n")[0]).toBe("case,activity,time");

    await plugin.train(td);
    await watchToEnd(env.core.projects, project.id);
    const done = await getProject(env.core.projects, project.id);
    expect(done.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(done.dataset).toMatchObject({ rows: 400, cases: 100 });
    expect((done.dataset?.trainingRows ?? 0) + (done.dataset?.holdoutRows ?? 0)).toBe(400);
    expect(done.preprocessing).toMatchObject({ rowsDone: 400, bytesDone: csv.length });
  });

  it("stores nothing for a bad small file and puts the project in ERROR", async () => {
    const queries = logQueries();
    const project = await createProject(env.core.projects, {
      datasetCsv: Buffer.from("case,activity\nc1,a,extra\n"),
      pluginKeys: ["knn"],
    });
    const end = await watchToEnd(env.core.projects, project.id);
    expect(end.at(-1)?.projectStatus).toBe(ProjectStatus.PROJECT_STATUS_ERROR);
    expect((await getProject(env.core.projects, project.id)).error).toMatch(/^dataset: line 2\b/);
    const outputWrites = queries.filter((q) => /^\s*insert into ["`]blobs["`]/i.test(q.sql));
    expect(outputWrites.filter((q) => q.bindings.some((b) => /^(td|ho)_/.test(`${b}`)))).toEqual(
      [],
    );
  });

  it("streams a small gzip file whose outputs outgrow the memory budget", async () => {
    // 64-byte rows, ~9 MiB once decompressed (more than twice the 4 MiB small-file bound).
    const rows = Array.from(
      { length: 150_000 },
      (_, i) => `c${Math.floor(i / 5)},activity-${i % 7},2024-01-01T00:00:00Z,${"x".repeat(20)}`,
    );
    const plain = Buffer.from(["case,activity,time,pad", ...rows, ""].join("\n"));
    const gz = gzipSync(plain);
    expect(gz.length).toBeLessThan(4 * 1024 * 1024);
    expect(plain.length).toBeGreaterThan(8 * 1024 * 1024);
    const project = await createProject(env.core.projects, {
      datasetCsv: gz,
      pluginKeys: ["knn"],
      holdoutFraction: 0,
    });
    const td = await plugin.trainingData.next();
    const training = await download(env.core.datasets, td.trainingDfName);
    expect(sha256Of(training)).toBe(sha256Of(plain));
    const done = await getProject(env.core.projects, project.id);
    expect(done.dataset).toMatchObject({ rows: 150_000, cases: 30_000 });
  });

  async function holdoutBlobId(projectId: number): Promise<string> {
    const row = await env.core.core.store
      .db("projects")
      .select("holdout_blob_id")
      .where({ id: projectId })
      .first();
    return row.holdout_blob_id as string;
  }
});
