// Retention through the real server: an upload no project or job uses is deleted once older than
// CORE_UPLOAD_RETENTION_MS, never while a project uses it nor while it is being written (even with
// the sweep running under uploads in flight); the store's bytes are metrics; and on SQLite the
// disk use returns to where it started once every project is deleted and the sweep ran.
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Knex } from "knex";
import { describe, expect, it } from "vitest";
import { CoreMetrics } from "../../src/app/metrics/core-metrics.js";
import type { DeleteProjectResponse } from "../../src/gen/trainingcore/v1/project_service.js";
import { blobFilesOf } from "../../src/store/blobs/blob-files.js";
import { storedBlobParts } from "../helpers/blobs.js";
import { describeEachDialect } from "../helpers/databases.js";
import { sha256Of, upload } from "../helpers/datasets.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { sampleOf } from "../helpers/metrics.js";
import { modelClient, uploadModel } from "../helpers/models.js";
import {
  call,
  jobsClient,
  prescribe,
  runningLog,
  runningLogDefinition,
} from "../helpers/prescription-jobs.js";
import { createProject, getProject, tinyCsv, watchToEnd } from "../helpers/projects.js";

const hour = 3_600_000;
const day = 24 * hour;

describeEachDialect("storage retention", (dialect) => {
  const env = freshCorePerTest(dialect);

  const removeProject = (projectId: number) =>
    call<DeleteProjectResponse>((done) => env.core.projects.deleteProject({ projectId }, done));

  it("deletes an unused upload once older than the retention; never one in use or being written", async () => {
    const { core, datasets } = env.core;
    const db = core.store.db;
    await env.connect("knn");
    const unused = await upload(datasets, Buffer.from(tinyCsv));
    const used = await upload(datasets, Buffer.from(tinyCsv));
    const project = await createProject(env.core.projects, {
      datasetCsv: Buffer.alloc(0),
      datasetId: used.datasetId,
      pluginKeys: ["knn"],
    });
    await core.preprocessingIdle();
    // An upload being written: metadata and a first chunk, not finished.
    const data = Buffer.from(tinyCsv);
    let finished: (error: Error | null) => void = () => {};
    const writing = new Promise<Error | null>((resolve) => {
      finished = resolve;
    });
    const stream = datasets.uploadDataset((error) => finished(error));
    stream.write({
      message: {
        $case: "metadata",
        value: { fileName: "late.csv", sizeBytes: data.length, sha256: sha256Of(data) },
      },
    });
    stream.write({ message: { $case: "chunk", value: data.subarray(0, 10) } });
    while ((await storedBlobParts(db, "ds_")).blobs < 3)
      await new Promise((r) => setTimeout(r, 10));

    expect(await core.sweepStorage(Date.now() + hour)).toBe(0);
    expect(await core.sweepStorage(Date.now() + day + hour)).toBe(1);
    expect(await storedBlobParts(db, unused.datasetId)).toEqual({ blobs: 0, stored: 0 });
    expect((await storedBlobParts(db, used.datasetId)).blobs).toBe(1);
    // The upload in flight finishes as if nothing happened.
    stream.write({ message: { $case: "chunk", value: data.subarray(10) } });
    stream.end();
    expect(await writing).toBeNull();
    expect((await storedBlobParts(db, "ds_")).blobs).toBe(2);

    // Its project deleted, the upload goes with the next sweep past the retention.
    await removeProject(project.id);
    expect((await storedBlobParts(db, used.datasetId)).blobs).toBe(1);
    expect(await core.sweepStorage(Date.now() + day + hour)).toBe(2);
    expect(await storedBlobParts(db, "ds_")).toEqual({ blobs: 0, stored: 0 });
  });

  it("sweeps in batches while uploads are written, and never takes an upload in flight", async () => {
    const { core, datasets } = env.core;
    const db = core.store.db;
    const body = Buffer.from(tinyCsv.repeat(50));
    // Old, unused uploads for the sweep to find, many batches of them.
    for (let i = 0; i < 12; i++) await upload(datasets, body);
    const uploads = Array.from({ length: 8 }, () => upload(datasets, body, { chunkBytes: 64 }));
    let sweeps = 0;
    let removed = 0;
    let uploading = true;
    const settled = Promise.all(uploads).finally(() => {
      uploading = false;
    });
    // Every sweep counts each upload as already old: only being written protects one.
    while (uploading || sweeps === 0) {
      removed += await core.sweepStorage(Date.now() + day + hour);
      sweeps++;
    }
    const done = await settled;
    removed += await core.sweepStorage(Date.now() + day + hour);
    // Each finished upload was complete and readable when its call was answered.
    expect(done.every((response) => response.sizeBytes === body.length)).toBe(true);
    expect(removed).toBe(20);
    expect(await storedBlobParts(db, "ds_")).toEqual({ blobs: 0, stored: 0 });
  });

  it("counts the stored bytes by kind", async () => {
    const db = env.core.core.store.db;
    const metrics = new CoreMetrics(db);
    const data = Buffer.from(tinyCsv);
    await upload(env.core.datasets, data);
    expect(await sampleOf(metrics, "store_bytes", { kind: "upload" })).toBe(data.length);
    expect(await sampleOf(metrics, "store_files", { kind: "upload" })).toBe(1);
    expect(await sampleOf(metrics, "store_bytes", { kind: "model" })).toBe(0);
  });
});

/** What the SQLite store holds on disk: its used pages and every blob file. */
async function diskUse(db: Knex): Promise<{ pages: number; blobBytes: number }> {
  const [count] = (await db.raw("PRAGMA page_count")) as { page_count: number }[];
  const [free] = (await db.raw("PRAGMA freelist_count")) as { freelist_count: number }[];
  const files = blobFilesOf(db);
  let blobBytes = 0;
  for (const name of (await files?.list()) ?? []) {
    blobBytes += (await stat(join(files?.directory ?? "", name))).size;
  }
  return { pages: (count?.page_count ?? 0) - (free?.freelist_count ?? 0), blobBytes };
}

describe("storage retention on disk [sqlite]", () => {
  const env = freshCorePerTest("sqlite");

  it("returns the disk use to its start once every project is deleted and the sweep ran", async () => {
    const { core, projects, datasets } = env.core;
    const db = core.store.db;
    const alarm = await env.connect("alarm", { prescribes: true });
    await env.connect("knn");
    const start = await diskUse(db);

    // An inline project trained with a stored model, a job, a project from an upload and one
    // trained again from the first.
    const first = await createProject(projects, {
      datasetCsv: Buffer.from(runningLog.repeat(1)),
      pluginKeys: ["alarm"],
      definition: runningLogDefinition,
    });
    const td = await alarm.trainingData.next();
    expect((await alarm.dataReport(td)).code).toBe(0);
    expect((await alarm.trainingStart(td)).code).toBe(0);
    const models = env.track(modelClient(env.core.address));
    await uploadModel(models, td, "alarm.bin", Buffer.alloc(300_000, 7));
    expect((await alarm.modelName(td, "alarm.bin")).code).toBe(0);
    await watchToEnd(projects, first.id);
    const jobs = jobsClient(env);
    await prescribe(jobs, { projectId: first.id, datasetCsv: Buffer.from(runningLog) });
    await core.preparationIdle();
    const uploaded = await upload(datasets, Buffer.from(tinyCsv.repeat(2000)));
    const second = await createProject(projects, {
      datasetCsv: Buffer.alloc(0),
      datasetId: uploaded.datasetId,
      pluginKeys: ["knn"],
    });
    const again = await createProject(projects, {
      name: "again",
      datasetCsv: Buffer.alloc(0),
      sourceProjectId: first.id,
    });
    await core.preprocessingIdle();
    expect((await getProject(projects, again.id)).dataset).toBeDefined();
    const busy = await diskUse(db);
    expect(busy.blobBytes).toBeGreaterThan(start.blobBytes + 300_000);

    for (const projectId of [first.id, second.id, again.id]) {
      await call<DeleteProjectResponse>((done) => projects.deleteProject({ projectId }, done));
    }
    await core.sweepStorage(Date.now() + 25 * hour);
    const end = await diskUse(db);
    expect(end.blobBytes).toBe(start.blobBytes);
    // The rows are gone too: a few pages more at most (tombstones, id sequences).
    expect(end.pages).toBeLessThanOrEqual(start.pages + 4);
    for (const table of ["projects", "memberships", "events", "prescription_jobs", "blobs"]) {
      expect(Number((await db(table).count({ n: "*" }))[0]?.n)).toBe(0);
    }
  });
});
