// The small-file path of the preprocessing runner keeps the claim check: a replica whose claim
// lapsed records nothing and leaves no blob behind.
import pino from "pino";
import { beforeEach, expect, it } from "vitest";
import { ChangeFeed } from "../../src/app/change-feed/change-feed.js";
import { PreprocessingRunner } from "../../src/app/preprocessing/runner.js";
import type { ClaimContext } from "../../src/store/sql/claims.js";
import { upsertPlugin } from "../../src/store/sql/plugins.js";
import { storedBlobParts } from "../helpers/blobs.js";
import { describeEachDialect } from "../helpers/databases.js";
import { createProjectDirectly } from "../helpers/direct-projects.js";
import { freshStorePerTest } from "../helpers/fresh-store.js";
import { testMetrics } from "../helpers/metrics.js";

const timeouts = { dataReportMs: 60_000, trainingStartMs: 60_000, trainingMs: 60_000 };

describeEachDialect("preprocessing of small files", (dialect) => {
  const fresh = freshStorePerTest(dialect);

  beforeEach(async () => {
    await upsertPlugin(
      fresh.store.db,
      { key: "k", name: "", type: "", description: "", parameters: {} },
      Date.now(),
    );
  });

  async function newProject(): Promise<number> {
    const created = await createProjectDirectly(fresh.store.db);
    return created.projectId;
  }

  /** A runner whose replica id is `ids[n]` at its n-th look (the last one from then on). */
  function runner(ids: string[]): PreprocessingRunner {
    let looks = 0;
    const claims = (): ClaimContext => {
      const replicaId = ids[Math.min(looks++, ids.length - 1)] as string;
      return { replicaId, nowMs: Date.now(), liveCutoffMs: 0 };
    };
    const it = new PreprocessingRunner({
      db: fresh.store.db,
      feed: new ChangeFeed(),
      logger: pino({ level: "silent" }),
      metrics: testMetrics(),
      timeouts,
      claims,
    });
    it.useWorker(false);
    return it;
  }

  async function outputBlobs(): Promise<number> {
    const { blobs, stored } = await storedBlobParts(fresh.store.db, "raw_", { not: true });
    return blobs + stored;
  }

  it("records the dataset with complete output blobs", async () => {
    const id = await newProject();
    const preprocessing = runner(["a"]);
    preprocessing.enqueue(id);
    await preprocessing.idle();
    const project = await fresh.store.db("projects").where({ id }).first();
    expect(project.preprocessed_ms).not.toBeNull();
    const blobs = await fresh.store
      .db("blobs")
      .whereIn("id", [project.training_blob_id, project.holdout_blob_id]);
    expect(blobs.map((blob) => [Boolean(blob.complete), blob.writer_replica])).toEqual([
      [true, "a"],
      [true, "a"],
    ]);
    expect(await fresh.store.db("memberships").where({ project_id: id })).toHaveLength(1);
  });

  it("records nothing and leaves no blob when its claim was taken over meanwhile", async () => {
    const id = await newProject();
    // It claims the project as "a"; by the time it records, it no longer holds the claim.
    const preprocessing = runner(["a", "a", "b"]);
    preprocessing.enqueue(id);
    await preprocessing.idle();
    const project = await fresh.store.db("projects").where({ id }).first();
    expect(project).toMatchObject({
      status: "PREPROCESSING",
      preprocessed_ms: null,
      preprocessing_replica: "a",
    });
    expect(await fresh.store.db("memberships").where({ project_id: id })).toHaveLength(0);
    expect(await outputBlobs()).toBe(0);
  });
});
