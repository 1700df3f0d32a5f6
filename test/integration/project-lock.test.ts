// PostgreSQL: a locked project row (lockProject) still serializes the transactions that lock
// it, but no longer blocks inserting rows that refer to the project (a live event, whose
// foreign-key check takes a key-share lock): FOR NO KEY UPDATE, not FOR UPDATE.
import { describe, expect, it } from "vitest";
import { inTransaction } from "../../src/store/commits/transactions.js";
import { createBlob } from "../../src/store/sql/blobs.js";
import { insertProject, lockProject } from "../../src/store/sql/projects.js";
import { dialects } from "../helpers/databases.js";
import { freshStorePerTest } from "../helpers/fresh-store.js";
import { projectRow } from "../helpers/rows.js";

describe.skipIf(!dialects.includes("postgres"))("the project lock [postgres]", () => {
  const fresh = freshStorePerTest("postgres");

  it("lets rows that refer to a locked project be inserted, and excludes a second lock", async () => {
    const db = fresh.store.db;
    await createBlob(db, "raw", Date.now());
    const projectId = await insertProject(db, projectRow(["k"], "raw"));
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked: () => void = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holder = inTransaction(db, async ({ trx }) => {
      await lockProject(trx, projectId);
      locked();
      await held;
    });
    await isLocked;
    try {
      // An insert referring to the project: it would wait for the lock under FOR UPDATE.
      await db.transaction(async (trx) => {
        await trx.raw("SET LOCAL lock_timeout = '2s'");
        await trx("stream_events").insert({
          project_id: projectId,
          case_id: "c1",
          attributes_json: "{}",
          normalized_json: "{}",
          time_ms: 0,
          posted_ms: 0,
        });
      });
      // A second lock of the row waits (here: gives up after the timeout).
      await expect(
        db.transaction(async (trx) => {
          await trx.raw("SET LOCAL lock_timeout = '200ms'");
          await lockProject(trx, projectId);
        }),
      ).rejects.toThrow(/lock timeout/);
    } finally {
      release();
      await holder;
    }
    const [row] = await db("stream_events").where({ project_id: projectId }).count({ n: "*" });
    expect(Number(row?.n)).toBe(1);
  });
});
