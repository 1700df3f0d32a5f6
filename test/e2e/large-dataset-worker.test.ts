/**
 * Files over a few MiB: on SQLite they are preprocessed in a worker thread with a connection of
 * its own (src/app/preprocess-worker.ts), on PostgreSQL in-process with chunk rows written
 * several per statement. Both must store exactly what the pipeline produces in memory, and a
 * rejected file must leave no training or holdout blob behind.
 */
import { createHash } from "node:crypto";
import { credentials, status } from "@grpc/grpc-js";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { preprocessDataset } from "../../src/app/preprocessing/csv/index.js";
import { DatasetServiceClient } from "../../src/gen/trainingcore/v1/dataset_service.js";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { openStore } from "../../src/store/connect.js";
import { readBlobChunks } from "../../src/store/sql/blobs.js";
import { type StoredBlobParts, storedBlobParts } from "../helpers/blobs.js";
import { type CoreProcess, spawnCore } from "../helpers/core-process.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  freePort,
  type TestDatabase,
} from "../helpers/databases.js";
import { download, sha256Of, syntheticEventLog, upload } from "../helpers/datasets.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import { createProject, failureOf, getProject, watchToEnd } from "../helpers/projects.js";
import { chunked, MemorySink } from "../unit/preprocessing/csv/helpers.js";

/** Above the 16 MiB from which SQLite preprocesses in a worker, and not a whole number of MiB. */
const fileBytes = 17 * 1024 * 1024 + 12_345;

describeEachDialect("a dataset of several MiB", (dialect) => {
  const env = freshCorePerTest(dialect);
  let plugin: TestPlugin;
  const data = Buffer.from([...syntheticEventLog(fileBytes)].join(""));

  beforeEach(async () => {
    plugin = await env.connect("knn");
  });

  async function blobsNamed(prefix: string): Promise<StoredBlobParts> {
    const store = await openStore(env.database.url);
    try {
      return await storedBlobParts(store.db, `${prefix}_`);
    } finally {
      await store.close();
    }
  }

  it("stores exactly the pipeline's output, and serves it from any offset", {
    timeout: 60_000,
  }, async () => {
    // Odd-sized upload messages: rows are assembled across them.
    const uploaded = await upload(env.core.datasets, data, { chunkBytes: 100_003 });
    expect(uploaded.sizeBytes).toBe(data.length);
    expect(uploaded.sha256).toBe(sha256Of(data));
    const project = await createProject(env.core.projects, {
      datasetCsv: Buffer.alloc(0),
      datasetId: uploaded.datasetId,
      holdoutFraction: 0.2,
    });
    const td = await plugin.trainingData.next(60_000);
    const stored = await getProject(env.core.projects, project.id);
    const expected = { training: new MemorySink(), holdout: new MemorySink() };
    const summary = await preprocessDataset(
      chunked(data, 1 << 20),
      { holdoutFraction: 0.2 },
      expected,
    );
    expect(stored.dataset).toMatchObject({
      rows: summary.rows,
      trainingRows: summary.trainingRows,
      holdoutRows: summary.holdoutRows,
      cases: summary.cases,
    });
    expect(stored.preprocessing).toMatchObject({ bytesDone: data.length, done: true });
    const training = Buffer.concat(expected.training.chunks);
    const holdout = Buffer.concat(expected.holdout.chunks);
    expect(sha256Of(await download(env.core.datasets, td.trainingDfName))).toBe(sha256Of(training));
    const holdoutName = stored.dataset?.holdoutDfName ?? "";
    expect(sha256Of(await download(env.core.datasets, holdoutName))).toBe(sha256Of(holdout));
    const offset = (1 << 20) + 777; // inside the second stored row
    const tail = await download(env.core.datasets, td.trainingDfName, offset);
    expect(tail.equals(training.subarray(offset))).toBe(true);
  });

  it("keeps nothing of a large upload whose sha256 does not match", {
    timeout: 60_000,
  }, async () => {
    const failure = await failureOf(
      upload(env.core.datasets, data, { chunkBytes: 1 << 20, sha256: sha256Of(Buffer.from("x")) }),
    );
    expect(failure.code).toBe(status.INVALID_ARGUMENT);
    expect(failure.details).toContain("sha256 says");
    expect(await blobsNamed("ds")).toEqual({ blobs: 0, stored: 0 });
  });

  it("keeps nothing of a large upload whose client goes away midway", {
    timeout: 60_000,
  }, async () => {
    const call = env.core.datasets.uploadDataset(() => {});
    call.write({
      message: {
        $case: "metadata",
        value: { fileName: "x.csv", sizeBytes: data.length, sha256: "" },
      },
    });
    call.write({ message: { $case: "chunk", value: data.subarray(0, 5 << 20) } });
    await vi.waitFor(async () => expect((await blobsNamed("ds")).stored).toBeGreaterThan(0), {
      timeout: 30_000,
    });
    call.cancel();
    await vi.waitFor(async () => expect(await blobsNamed("ds")).toEqual({ blobs: 0, stored: 0 }), {
      timeout: 30_000,
    });
  });

  it("rejects a bad row near the end with its line number, keeping no output", {
    timeout: 60_000,
  }, async () => {
    const lines = data.toString().split("\n");
    const bad = lines.length - 3; // a data row near the end (0-based index: line bad + 1)
    lines[bad] = `${lines[bad]},extra`;
    const broken = Buffer.from(lines.join("\n"));
    const uploaded = await upload(env.core.datasets, broken, { chunkBytes: 1 << 20 });
    const project = await createProject(env.core.projects, {
      datasetCsv: Buffer.alloc(0),
      datasetId: uploaded.datasetId,
    });
    await watchToEnd(env.core.projects, project.id);
    const failed = await getProject(env.core.projects, project.id);
    expect(failed.status).toBe(ProjectStatus.PROJECT_STATUS_ERROR);
    expect(failed.error).toMatch(new RegExp(`^dataset: line ${bad + 1}: expected 15 fields`));
    expect(await blobsNamed("td")).toEqual({ blobs: 0, stored: 0 });
    expect(await blobsNamed("ho")).toEqual({ blobs: 0, stored: 0 });
  });
});

/**
 * A killed process leaves the operating system's page cache behind, so this checks that a blob
 * is marked complete only after every one of its rows was committed (whatever the connection);
 * that the completing commit's fsync also covers those rows is argued in
 * src/store/sqlite-blob-writer.ts and src/app/blob-writer.ts.
 */
describeEachDialect("blobs after kill -9", (dialect) => {
  let database: TestDatabase;
  let core: CoreProcess;

  beforeEach(async () => {
    database = await createTestDatabaseUrl(dialect);
    core = await spawnCore(database.url, await freePort(), {});
  });

  afterEach(async () => {
    core.child.kill("SIGKILL");
    await core.exited;
    await database.drop();
  });

  it("keep every byte of each blob the core reported complete", { timeout: 60_000 }, async () => {
    const data = Buffer.from([...syntheticEventLog(fileBytes, 7)].join(""));
    const datasets = new DatasetServiceClient(core.address, credentials.createInsecure());
    const projects = new ProjectServiceClient(core.address, credentials.createInsecure());
    const plugin = await TestPlugin.connect(core.address, "knn");
    let ids: string[];
    try {
      const uploaded = await upload(datasets, data, { chunkBytes: 1 << 20 });
      await createProject(projects, {
        datasetCsv: Buffer.alloc(0),
        datasetId: uploaded.datasetId,
      });
      const td = await plugin.trainingData.next(60_000);
      const stored = await getProject(projects, td.projectId);
      ids = [uploaded.datasetId, td.trainingDfName, stored.dataset?.holdoutDfName ?? ""];
    } finally {
      plugin.close();
      datasets.close();
      projects.close();
    }
    core.child.kill("SIGKILL");
    await core.exited;
    const store = await openStore(database.url);
    try {
      for (const id of ids) {
        const blob = await store.db("blobs").where({ id }).first();
        expect(Boolean(blob?.complete)).toBe(true);
        const hash = createHash("sha256");
        let size = 0;
        for await (const chunk of readBlobChunks(store.db, id)) {
          hash.update(chunk);
          size += chunk.length;
        }
        expect({ size, sha256: hash.digest("hex") }).toEqual({
          size: Number(blob.size_bytes),
          sha256: blob.sha256,
        });
      }
      expect(Number((await store.db("blobs").where({ id: ids[0] }).first()).size_bytes)).toBe(
        data.length,
      );
    } finally {
      await store.close();
    }
  });
});
