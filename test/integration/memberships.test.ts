// The memberships a batch of reports reads (readMembershipStatuses): every column as stored, whatever
// the text holds, for several projects at once, ascending by id.
import { expect, it } from "vitest";
import { createBlob } from "../../src/store/sql/blobs.js";
import { insertMemberships, readMembershipStatuses } from "../../src/store/sql/memberships.js";
import { driverOf } from "../../src/store/sql/prepared.js";
import { insertProject } from "../../src/store/sql/projects.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshStorePerTest } from "../helpers/fresh-store.js";
import { projectRow } from "../helpers/rows.js";

const awkward = ['"quoted"', "back\\slash", "line\nbreak", "tab\t", "ünïcödé 🚀", "'", ""];

describeEachDialect("readMembershipStatuses", (dialect) => {
  const fresh = freshStorePerTest(dialect);

  async function project(keys: string[]): Promise<number> {
    const now = Date.now();
    const blob = `raw_${Math.random().toString(16).slice(2)}`;
    await createBlob(fresh.store.db, blob, now);
    const id = await insertProject(
      fresh.store.db,
      projectRow(keys, blob, { created_ms: now, updated_ms: now }),
    );
    await insertMemberships(
      fresh.store.db,
      keys.map((key, i) => ({
        project_id: id,
        plugin_key: key,
        status: i % 2 === 0 ? "TRAINED" : "ERROR",
        model_name: awkward[i % awkward.length] as string,
        error: awkward[(i + 1) % awkward.length] as string,
        parameters_json: "{}",
        additional_info_json: "{}",
        deadline_ms: null,
        created_ms: now,
        updated_ms: now,
      })),
    );
    return id;
  }

  it("reads the memberships of several projects as stored, ascending by id", async () => {
    const a = await project(["k0", "k1", "k2", "k\"3'"]);
    const b = await project(["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"]);
    await project(["k0"]); // not asked for
    const c = await project(["k0", "k1", "k2"]);
    const expected = await fresh.store
      .db("memberships")
      .select(
        "id",
        "project_id",
        "plugin_key",
        "status",
        "model_name",
        "error",
        "model_upload_name",
      )
      .whereIn("project_id", [a, b, c])
      .orderBy("id");
    const read = await fresh.store.db.transaction(async (trx) =>
      // Unordered, with a repeat and a project that does not exist.
      readMembershipStatuses(await driverOf(trx), [c, a, 999_999, b, a]),
    );
    expect(read).toEqual(
      expected.map((row: Record<string, unknown>) => ({
        ...row,
        id: Number(row.id),
        project_id: Number(row.project_id),
      })),
    );
    expect(new Set(read.map((row) => row.model_name))).toEqual(new Set(awkward));
    expect(new Set(read.map((row) => row.error))).toEqual(new Set(awkward));
  });
});
