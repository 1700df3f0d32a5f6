// The rows CreateProject writes through the driver (src/store/sql/new-project-rows.ts), on both
// databases: an inline dataset as a complete blob readable like any other, the project row, and
// a repeated request_id raced by two calls at once.
import { createHash } from "node:crypto";
import { expect, expectTypeOf, it } from "vitest";
import { KnownPluginKeys } from "../../src/app/projects/known-plugin-keys.js";
import { pipelinedCommitsOf } from "../../src/store/commits/pipelined-commits.js";
import { readBlobChunks } from "../../src/store/sql/blobs.js";
import {
  insertCompleteBlob,
  insertProjectRow,
  type UnwrittenProjectColumns,
} from "../../src/store/sql/new-project-rows.js";
import { upsertPlugin } from "../../src/store/sql/plugins.js";
import { findProject } from "../../src/store/sql/projects.js";
import { describeEachDialect } from "../helpers/databases.js";
import { createProjectDirectly } from "../helpers/direct-projects.js";
import { freshStorePerTest } from "../helpers/fresh-store.js";

it("writes every column of a new project row", () => {
  expectTypeOf<UnwrittenProjectColumns>().toEqualTypeOf<never>();
});

describeEachDialect("CreateProject's rows through the driver", (dialect) => {
  const fresh = freshStorePerTest(dialect);

  async function read(id: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of readBlobChunks(fresh.store.db, id)) parts.push(part);
    return Buffer.concat(parts);
  }

  it("stores bytes as a complete blob in 1 MiB rows, and an empty one as no rows", async () => {
    const bytes = Buffer.alloc(2.5 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 251;
    const commits = pipelinedCommitsOf(fresh.store.db);
    await (
      await commits.runOnDriver(async (conn) => {
        await insertCompleteBlob(conn, "raw_big", bytes.subarray(0, bytes.length), 1000);
        await insertCompleteBlob(conn, "raw_empty", new Uint8Array(0), 1000);
      })
    ).durable;
    const blob = await fresh.store.db("blobs").where({ id: "raw_big" }).first();
    expect(blob).toMatchObject({
      size_bytes: bytes.length,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      created_ms: 1000,
      file_name: "",
      writer_replica: null,
    });
    expect(Boolean(blob.complete)).toBe(true);
    const rows = await fresh.store.db("blob_chunks").where({ blob_id: "raw_big" }).orderBy("seq");
    expect(rows.map((row) => [row.seq, Number(row.start_offset), row.data.length])).toEqual([
      [0, 0, 1048576],
      [1, 1048576, 1048576],
      [2, 2097152, 524288],
    ]);
    expect((await read("raw_big")).equals(bytes)).toBe(true);
    expect(await read("raw_empty")).toEqual(Buffer.alloc(0));
    expect(await fresh.store.db("blob_chunks").where({ blob_id: "raw_empty" })).toEqual([]);
  });

  it("inserts a project row and returns its id", async () => {
    const row = {
      name: "n",
      description: "d",
      status: "PREPROCESSING",
      error: "",
      request_id: "r-1",
      plugin_keys_json: '["k"]',
      parameters_json: "{}",
      additional_info_json: '{"k":{"a":1}}',
      requested_case_id_column: "case",
      holdout_fraction: 0.25,
      raw_blob_id: "raw_x",
      requested_definition_json: '{"columns":[["c","CASE_ID"]],"caseAttributes":[]}',
      effective_definition_json: null,
      source_project_id: 7,
      created_ms: 1234,
      updated_ms: 1235,
    };
    const ids = await pipelinedCommitsOf(fresh.store.db).runOnDriver(async (conn) => [
      await insertCompleteBlob(conn, "raw_x", Buffer.from("a,b\n"), 1000).then(() =>
        insertProjectRow(conn, row),
      ),
      await insertProjectRow(conn, { ...row, request_id: null }),
    ]);
    await ids.durable;
    const [first, second] = ids.result;
    expect(second).toBe((first as number) + 1);
    const stored = await findProject(fresh.store.db, first as number);
    expect({ ...stored, holdout_fraction: Number(stored?.holdout_fraction) }).toMatchObject({
      ...row,
      id: first,
    });
  });

  it("gives both of two racing calls with one request_id the same project", async () => {
    await upsertPlugin(
      fresh.store.db,
      { key: "k", name: "", type: "", description: "", parameters: {} },
      Date.now(),
    );
    const knownKeys = new KnownPluginKeys(fresh.store.db);
    const raced = () => createProjectDirectly(fresh.store.db, { requestId: "same" }, knownKeys);
    const [a, b] = await Promise.all([raced(), raced()]);
    expect(a.projectId).toBe(b.projectId);
    const count = async (table: string) =>
      Number((await fresh.store.db(table).count({ n: "*" }))[0]?.n);
    expect(await count("projects")).toBe(1);
    // The loser's inline dataset was rolled back with its project.
    expect(await count("blobs")).toBe(1);
  });
});
