import { gzipSync } from "node:zlib";
import { status } from "@grpc/grpc-js";
import { beforeEach, expect, it, vi } from "vitest";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { openStore } from "../../src/store/connect.js";
import { storedBlobParts } from "../helpers/blobs.js";
import { describeEachDialect } from "../helpers/databases.js";
import { download, sha256Of, upload } from "../helpers/datasets.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import type { TestPlugin } from "../helpers/plugin-client.js";
import { createProject, failureOf, getProject, tinyCsv, watchToEnd } from "../helpers/projects.js";

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

describeEachDialect("datasets", (dialect) => {
  const env = freshCorePerTest(dialect, { maxUploadBytes: 64 * 1024 });
  let plugin: TestPlugin;

  beforeEach(async () => {
    plugin = await env.connect("knn");
  });

  async function uploadsKept(): Promise<number> {
    const store = await openStore(env.database.url);
    try {
      const { blobs, stored } = await storedBlobParts(store.db, "ds_");
      return blobs + stored;
    } finally {
      await store.close();
    }
  }

  it.each([
    ["many small chunks", 1000],
    ["one chunk", 1 << 20],
  ])("uploads in %s and trains on the dataset_id", async (_name, chunkBytes) => {
    const uploaded = await upload(env.core.datasets, csv, { chunkBytes });
    expect(uploaded).toEqual({
      datasetId: expect.stringMatching(/^ds_/),
      sizeBytes: csv.length,
      sha256: sha256Of(csv),
    });
    const project = await createProject(env.core.projects, {
      datasetCsv: Buffer.alloc(0),
      datasetId: uploaded.datasetId,
    });
    const td = await plugin.trainingData.next();
    await plugin.train(td);
    await watchToEnd(env.core.projects, project.id);
    const done = await getProject(env.core.projects, project.id);
    expect(done.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(done.dataset).toMatchObject({ rows: 400, cases: 100 });
    expect(done.preprocessing).toEqual({
      rowsDone: 400,
      bytesDone: csv.length,
      bytesTotal: csv.length,
      done: true,
    });
  });

  it("decompresses a gzip upload while preprocessing", async () => {
    const gz = gzipSync(csv);
    const uploaded = await upload(env.core.datasets, gz);
    expect(uploaded.sizeBytes).toBe(gz.length);
    const project = await createProject(env.core.projects, {
      datasetCsv: Buffer.alloc(0),
      datasetId: uploaded.datasetId,
    });
    await env.core.core.preprocessingIdle();
    const stored = await getProject(env.core.projects, project.id);
    expect(stored.dataset).toMatchObject({ rows: 400, cases: 100 });
    expect(stored.preprocessing).toMatchObject({
      bytesDone: gz.length,
      bytesTotal: gz.length,
      done: true,
    });
  });

  it("accepts a gzip-compressed inline dataset too, and rejects a corrupt one", async () => {
    const ok = await createProject(env.core.projects, {
      datasetCsv: gzipSync(Buffer.from(tinyCsv)),
    });
    const corrupt = gzipSync(Buffer.from(tinyCsv)).subarray(0, 20);
    const bad = await createProject(env.core.projects, { datasetCsv: corrupt });
    await env.core.core.preprocessingIdle();
    expect((await getProject(env.core.projects, ok.id)).dataset?.rows).toBe(5);
    const failed = await getProject(env.core.projects, bad.id);
    expect(failed.status).toBe(ProjectStatus.PROJECT_STATUS_ERROR);
    expect(failed.error).toMatch(/^dataset: the file starts like gzip but cannot be decompressed/);
  });

  it("uses one upload for two projects", async () => {
    const { datasetId } = await upload(env.core.datasets, csv);
    const first = await createProject(env.core.projects, {
      datasetCsv: Buffer.alloc(0),
      datasetId,
    });
    const second = await createProject(env.core.projects, {
      datasetCsv: Buffer.alloc(0),
      datasetId,
    });
    await env.core.core.preprocessingIdle();
    const [a, b] = [
      await getProject(env.core.projects, first.id),
      await getProject(env.core.projects, second.id),
    ];
    expect(a.dataset?.rows).toBe(400);
    expect(b.dataset?.rows).toBe(400);
    expect(a.dataset?.trainingDfName).not.toBe(b.dataset?.trainingDfName);
  });

  it.each([
    [
      "a declared size that does not match",
      { sizeBytes: 10 },
      status.INVALID_ARGUMENT,
      "size_bytes says 10",
    ],
    [
      "a declared sha256 that does not match",
      { sha256: "0".repeat(64) },
      status.INVALID_ARGUMENT,
      "sha256 says",
    ],
    ["a malformed sha256", { sha256: "xyz" }, status.INVALID_ARGUMENT, "64 hex digits"],
    [
      "a declared size over the limit",
      { sizeBytes: 1 << 20 },
      status.RESOURCE_EXHAUSTED,
      "CORE_MAX_UPLOAD_BYTES",
    ],
  ])("refuses %s and keeps nothing", async (_name, options, code, details) => {
    const failure = await failureOf(upload(env.core.datasets, csv, options));
    expect(failure.code).toBe(code);
    expect(failure.details).toContain(details);
    expect(await uploadsKept()).toBe(0);
  });

  it("refuses a file that grows past the limit while streaming, keeping nothing", async () => {
    const big = Buffer.alloc(100 * 1024, 0x61);
    const failure = await failureOf(upload(env.core.datasets, big, { sizeBytes: 0, sha256: "" }));
    expect(failure.code).toBe(status.RESOURCE_EXHAUSTED);
    await vi.waitFor(async () => expect(await uploadsKept()).toBe(0));
  });

  it("keeps nothing when the client disconnects midway", async () => {
    const call = env.core.datasets.uploadDataset(() => {});
    call.write({
      message: { $case: "metadata", value: { fileName: "x.csv", sizeBytes: 0, sha256: "" } },
    });
    call.write({ message: { $case: "chunk", value: csv.subarray(0, 4000) } });
    await vi.waitFor(async () => expect(await uploadsKept()).toBeGreaterThan(0));
    call.cancel();
    await vi.waitFor(async () => expect(await uploadsKept()).toBe(0));
  });

  it("keeps nothing when a client that declared the size disconnects midway", async () => {
    const call = env.core.datasets.uploadDataset(() => {});
    const declared = { fileName: "x.csv", sizeBytes: csv.length, sha256: "" };
    call.write({ message: { $case: "metadata", value: declared } });
    call.write({ message: { $case: "chunk", value: csv.subarray(0, 4000) } });
    await vi.waitFor(async () => expect(await uploadsKept()).toBeGreaterThan(0));
    call.cancel();
    await vi.waitFor(async () => expect(await uploadsKept()).toBe(0));
  });

  it("refuses an upload that does not start with metadata, and an unknown dataset_id", async () => {
    const noMetadata = await failureOf(
      new Promise((resolve, reject) => {
        const call = env.core.datasets.uploadDataset((e, r) => (e ? reject(e) : resolve(r)));
        call.write({ message: { $case: "chunk", value: csv } });
        call.end();
      }),
    );
    expect(noMetadata.code).toBe(status.INVALID_ARGUMENT);
    const unknown = await failureOf(
      createProject(env.core.projects, {
        datasetCsv: Buffer.alloc(0),
        datasetId: "ds_000000000000000000000000",
      }),
    );
    expect(unknown.code).toBe(status.NOT_FOUND);
  });

  it("resumes a download from an offset", async () => {
    const { datasetId } = await upload(env.core.datasets, csv);
    await createProject(env.core.projects, { datasetCsv: Buffer.alloc(0), datasetId });
    const td = await plugin.trainingData.next();
    const whole = await download(env.core.datasets, td.trainingDfName);
    expect(whole.toString().split("\n")[0]).toBe("case,activity,time");
    for (const offset of [1, 100, whole.length - 1, whole.length]) {
      expect(await download(env.core.datasets, td.trainingDfName, offset)).toEqual(
        whole.subarray(offset),
      );
    }
    const past = await failureOf(download(env.core.datasets, td.trainingDfName, whole.length + 1));
    expect(past.code).toBe(status.INVALID_ARGUMENT);
  });

  it("answers DATA_LOSS, not a shorter file, when a dataset's bytes are gone from the store", async () => {
    await createProject(env.core.projects, { datasetCsv: csv });
    const td = await plugin.trainingData.next();
    // A small file's outputs are chunk rows on either database; lose them behind the core's back.
    await env.core.core.store.db("blob_chunks").where({ blob_id: td.trainingDfName }).delete();
    const lost = await failureOf(download(env.core.datasets, td.trainingDfName));
    expect(lost.code).toBe(status.DATA_LOSS);
    expect(lost.details).toMatch(/ends after 0 of its \d+ bytes: part of it was lost/);
  });
});
