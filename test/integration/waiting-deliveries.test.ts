// The single replica's hand-out read (SQLite): the oldest WAITING memberships of a key that are
// ready (training set stored), other than those already leased, with their TrainingData fields.
import { describe, expect, it } from "vitest";
import { createBlob } from "../../src/store/sql/blobs.js";
import { insertMemberships, readNextWaitingDeliveries } from "../../src/store/sql/memberships.js";
import { insertProject } from "../../src/store/sql/projects.js";
import { freshStorePerTest } from "../helpers/fresh-store.js";
import { projectRow } from "../helpers/rows.js";

describe("readNextWaitingDeliveries [sqlite]", () => {
  const fresh = freshStorePerTest("sqlite");

  /** A project with `count` memberships per key; preprocessed (training set stored) or not. */
  async function seed(keys: string[], count: number, preprocessed: boolean): Promise<number[]> {
    const now = Date.now();
    const blob = `td_${Math.random().toString(16).slice(2)}`;
    await createBlob(fresh.store.db, blob, now);
    const project = await insertProject(
      fresh.store.db,
      projectRow(keys, blob, { status: "PREPROCESSING", created_ms: now, updated_ms: now }),
    );
    if (preprocessed) {
      await fresh.store.db("projects").where({ id: project }).update({ training_blob_id: blob });
    }
    const rows = await insertMemberships(
      fresh.store.db,
      keys.flatMap((key) =>
        Array.from({ length: count }, () => ({
          project_id: project,
          plugin_key: key,
          status: "WAITING",
          model_name: "",
          error: "",
          parameters_json: `{"key":"${key}"}`,
          additional_info_json: "{}",
          deadline_ms: null,
          created_ms: now,
          updated_ms: now,
        })),
      ),
    );
    return rows.filter((_, i) => keys[Math.floor(i / count)] === "k").map((row) => row.id);
  }

  const idsOf = async (count: number, skip: number[]) =>
    (await readNextWaitingDeliveries(fresh.store.db, "k", count, new Set(skip))).map(
      (row) => row.id,
    );

  it("hands out the oldest ready memberships of the key, with their TrainingData fields", async () => {
    const notReady = await seed(["k"], 2, false);
    const ready = await seed(["k", "other"], 3, true);
    const rows = await readNextWaitingDeliveries(fresh.store.db, "k", 2, new Set());
    expect(rows.map((row) => row.id)).toEqual(ready.slice(0, 2));
    expect(rows[0]).toMatchObject({ parameters_json: '{"key":"k"}', additional_info_json: "{}" });
    expect(rows[0]?.training_blob_id).toMatch(/^td_/);
    expect(rows.map((row) => row.id)).not.toContain(notReady[0]);
  });

  it("skips those already leased, reading past them to fill the count", async () => {
    const ready = await seed(["k"], 50, true);
    // More skipped ids than one page of `count + skipped` holds when they are not the oldest.
    const skipped = ready.filter((_, i) => i % 2 === 0);
    expect(await idsOf(5, skipped)).toEqual(ready.filter((_, i) => i % 2 === 1).slice(0, 5));
    // Skipped ids that are no longer WAITING still leave room for the rest.
    await fresh.store
      .db("memberships")
      .whereIn("id", ready.slice(0, 10))
      .update({ status: "TRAINING" });
    expect(await idsOf(3, ready.slice(0, 10))).toEqual(ready.slice(10, 13));
    expect(await idsOf(100, [])).toEqual(ready.slice(10));
  });

  it("returns nothing when every WAITING membership is leased or none is ready", async () => {
    const ready = await seed(["k"], 3, true);
    await seed(["k"], 3, false);
    expect(await idsOf(5, ready)).toEqual([]);
  });
});
