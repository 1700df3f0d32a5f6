// ModelService on a real core: models stored on the blob store, streamed and checked, linked to
// their membership, bound to its ModelName, shown as ProjectPlugin.model_size_bytes.
import { randomBytes } from "node:crypto";
import { credentials, status } from "@grpc/grpc-js";
import { beforeEach, expect, it, vi } from "vitest";
import { ServerReflectionClient } from "../../src/gen/grpc/reflection/v1/reflection.js";
import type { ModelServiceClient } from "../../src/gen/trainingcore/v1/model_service.js";
import type { TrainingData } from "../../src/gen/trainingcore/v1/plugin_service.js";
import { PluginStatus, ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { insertCompleteBlob } from "../../src/store/sql/blobs.js";
import { deleteOrphanedBlobs } from "../../src/store/sql/claims.js";
import { storedBlobParts } from "../helpers/blobs.js";
import { describeEachDialect } from "../helpers/databases.js";
import { sha256Of } from "../helpers/datasets.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { downloadModel, modelClient, uploadModel } from "../helpers/models.js";
import type { TestPlugin } from "../helpers/plugin-client.js";
import { createProject, failureOf, getProject, watchToEnd } from "../helpers/projects.js";
import { listServices, reflectionStream } from "../helpers/reflection-client.js";

const MiB = 1024 * 1024;

/** Buffer equality without a diff of megabytes when they differ. */
function expectSameBytes(actual: Buffer, expected: Buffer): void {
  expect({ length: actual.length, sha256: sha256Of(actual) }).toEqual({
    length: expected.length,
    sha256: sha256Of(expected),
  });
}
const maxUploadBytes = 3 * MiB;

describeEachDialect("models", (dialect) => {
  const env = freshCorePerTest(dialect, { maxUploadBytes });
  let plugin: TestPlugin;
  let models: ModelServiceClient;
  let td: TrainingData;
  let ids: { projectId: number; pluginId: number };

  beforeEach(async () => {
    plugin = await env.connect("knn");
    models = env.track(modelClient(env.core.address));
    await createProject(env.core.projects, { pluginKeys: ["knn"] });
    td = await plugin.trainingData.next();
    ids = { projectId: td.projectId, pluginId: td.pluginId };
  });

  async function training(): Promise<void> {
    expect((await plugin.dataReport(td)).code).toBe(0);
    expect((await plugin.trainingStart(td)).code).toBe(0);
  }

  async function modelsKept(): Promise<{ blobs: number; stored: number }> {
    return storedBlobParts(env.core.core.store.db, "md_");
  }

  async function pluginOf(projectId: number) {
    const project = await getProject(env.core.projects, projectId);
    return project.plugins[0];
  }

  it("round-trips a multi-chunk model, resumes at offsets, and binds ModelName to it", async () => {
    await training();
    const model = randomBytes(2 * MiB + 12_345);
    const stored = await uploadModel(models, ids, "knn-model.bin", model, { chunkBytes: 100_000 });
    expect(stored).toEqual({
      modelName: "knn-model.bin",
      sizeBytes: model.length,
      sha256: sha256Of(model),
    });
    expectSameBytes(await downloadModel(models, ids), model);
    for (const offset of [1, MiB - 1, MiB, MiB + 7, model.length - 1, model.length]) {
      expectSameBytes(await downloadModel(models, ids, offset), model.subarray(offset));
    }
    const past = await failureOf(downloadModel(models, ids, model.length + 1));
    expect(past.code).toBe(status.INVALID_ARGUMENT);
    expect(past.details).toContain("past the end");
    expect((await pluginOf(ids.projectId))?.modelSizeBytes).toBe(model.length);

    const mismatch = await plugin.modelName(td, "other.bin");
    expect(mismatch.code).toBe(status.FAILED_PRECONDITION);
    expect(mismatch.message).toContain('"other.bin"');
    expect(mismatch.message).toContain('"knn-model.bin"');
    expect((await pluginOf(ids.projectId))?.status).toBe(PluginStatus.PLUGIN_STATUS_TRAINING);

    expect((await plugin.modelName(td, "knn-model.bin")).code).toBe(0);
    await watchToEnd(env.core.projects, ids.projectId);
    const trained = await getProject(env.core.projects, ids.projectId);
    expect(trained.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(trained.plugins[0]).toMatchObject({
      modelName: "knn-model.bin",
      modelSizeBytes: model.length,
    });

    // Once TRAINED, only an exact repeat is accepted, and it changes nothing.
    expect(await uploadModel(models, ids, "knn-model.bin", model)).toEqual(stored);
    expect(
      await uploadModel(models, ids, "knn-model.bin", model, { sizeBytes: 0, sha256: "" }),
    ).toEqual(stored);
    expect((await modelsKept()).blobs).toBe(1);
    const other = await failureOf(uploadModel(models, ids, "knn-model.bin", randomBytes(100)));
    expect(other.code).toBe(status.FAILED_PRECONDITION);
    expect(other.details).toMatch(/is TRAINED: .*other bytes/);
    const renamed = await failureOf(uploadModel(models, ids, "new.bin", model));
    expect(renamed.code).toBe(status.FAILED_PRECONDITION);
    expect(renamed.details).toMatch(/is TRAINED: its stored model is "knn-model.bin"/);
    expect((await modelsKept()).blobs).toBe(1);
    expectSameBytes(await downloadModel(models, ids), model);
  });

  it("replaces an earlier upload and removes its file; the sweep takes unnamed models only", async () => {
    expect((await plugin.dataReport(td)).code).toBe(0);
    const first = randomBytes(5000);
    const second = randomBytes(7000);
    await uploadModel(models, ids, "first.bin", first);
    expect((await modelsKept()).blobs).toBe(1);
    expect((await plugin.trainingStart(td)).code).toBe(0);
    await uploadModel(models, ids, "second.bin", second);
    expect(await modelsKept()).toEqual({ blobs: 1, stored: expect.any(Number) });
    expect(await downloadModel(models, ids)).toEqual(second);
    expect((await pluginOf(ids.projectId))?.modelSizeBytes).toBe(second.length);
    // The first name no longer fits.
    expect((await plugin.modelName(td, "first.bin")).code).toBe(status.FAILED_PRECONDITION);

    // A replaced model whose removal a crash prevented: a complete model blob nobody names.
    const db = env.core.core.store.db;
    const leftover = Buffer.from("left over");
    await insertCompleteBlob(
      db,
      { id: "md_000000000000000000000000", nowMs: Date.now(), sizeBytes: 9, sha256: "" },
      [{ seq: 0, startOffset: 0, data: leftover }],
    );
    const sweep = { replicaId: "test", nowMs: Date.now(), liveCutoffMs: 0 };
    expect(await deleteOrphanedBlobs(db, sweep, false)).toBe(1);
    expect((await modelsKept()).blobs).toBe(1);
    expect(await downloadModel(models, ids)).toEqual(second);
    expect((await plugin.modelName(td, "second.bin")).code).toBe(0);
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
      { sizeBytes: maxUploadBytes + 1 },
      status.RESOURCE_EXHAUSTED,
      "CORE_MAX_UPLOAD_BYTES",
    ],
  ])("refuses %s and keeps nothing", async (_name, options, code, details) => {
    await training();
    const failure = await failureOf(
      uploadModel(models, ids, "m.bin", randomBytes(50_000), options),
    );
    expect(failure).toEqual({ code, details: expect.stringContaining(details) });
    expect(await modelsKept()).toEqual({ blobs: 0, stored: 0 });
    expect((await pluginOf(ids.projectId))?.modelSizeBytes).toBe(0);
  });

  it("refuses a model that grows past the limit while streaming, keeping nothing", async () => {
    await training();
    const big = randomBytes(maxUploadBytes + 1);
    const failure = await failureOf(
      uploadModel(models, ids, "m.bin", big, { sizeBytes: 0, sha256: "", chunkBytes: MiB }),
    );
    expect(failure.code).toBe(status.RESOURCE_EXHAUSTED);
    await vi.waitFor(async () => expect(await modelsKept()).toEqual({ blobs: 0, stored: 0 }));
  });

  it("keeps nothing when the plugin cancels the upload midway", async () => {
    await training();
    const call = models.uploadModel(() => {});
    call.on("error", () => {});
    const metadata = { ...ids, modelName: "m.bin", sizeBytes: 0, sha256: "" };
    call.write({ content: { $case: "metadata", value: metadata } });
    call.write({ content: { $case: "chunk", value: randomBytes(4000) } });
    await vi.waitFor(async () => expect((await modelsKept()).blobs).toBeGreaterThan(0));
    call.cancel();
    await vi.waitFor(async () => expect(await modelsKept()).toEqual({ blobs: 0, stored: 0 }));
    const none = await failureOf(downloadModel(models, ids));
    expect(none.code).toBe(status.NOT_FOUND);
  });

  it("refuses memberships in the wrong status, naming it", async () => {
    const waiting = await failureOf(uploadModel(models, ids, "m.bin", randomBytes(10)));
    expect(waiting.code).toBe(status.FAILED_PRECONDITION);
    expect(waiting.details).toMatch(/the plugin is WAITING/);
    expect((await plugin.errorReport(td, "broken")).code).toBe(0);
    const failed = await failureOf(uploadModel(models, ids, "m.bin", randomBytes(10)));
    expect(failed.code).toBe(status.FAILED_PRECONDITION);
    expect(failed.details).toMatch(/the plugin is ERROR/);
    expect(await modelsKept()).toEqual({ blobs: 0, stored: 0 });
  });

  it("is served by the core, and listed by its reflection", async () => {
    const reflection = env.track(
      new ServerReflectionClient(env.core.address, credentials.createInsecure()),
    );
    const stream = reflectionStream(reflection);
    expect(await listServices(stream)).toContain("trainingcore.v1.ModelService");
    stream.close();
  });

  it("answers NOT_FOUND for unknown projects and memberships and a plugin that keeps its model", async () => {
    await training();
    const noProject = await failureOf(
      uploadModel(models, { projectId: 999, pluginId: ids.pluginId }, "m", randomBytes(5)),
    );
    expect(noProject).toEqual({ code: status.NOT_FOUND, details: "project 999 does not exist" });
    const noMember = await failureOf(
      downloadModel(models, { projectId: ids.projectId, pluginId: 999 }),
    );
    expect(noMember.code).toBe(status.NOT_FOUND);
    expect(noMember.details).toContain(`plugin_id 999 is not part of project ${ids.projectId}`);
    expect((await plugin.modelName(td, "kept-by-plugin.bin")).code).toBe(0);
    const kept = await failureOf(downloadModel(models, ids));
    expect(kept.code).toBe(status.NOT_FOUND);
    expect(kept.details).toContain("has no stored model");
    expect((await pluginOf(ids.projectId))?.modelSizeBytes).toBe(0);
    // TRAINED without an upload: nothing can be stored any more.
    const late = await failureOf(uploadModel(models, ids, "kept-by-plugin.bin", randomBytes(5)));
    expect(late.code).toBe(status.FAILED_PRECONDITION);
  });
});
