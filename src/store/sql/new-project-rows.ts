/**
 * The rows CreateProject writes, on its transaction's connection through the driver: the inline
 * dataset as a complete blob, and the project. Hot path: through knex's query builder these
 * statements, with its BEGIN and COMMIT, took about 0.9 ms of the call's 1.4 ms transaction.
 */
import { createHash } from "node:crypto";
import type { ProjectRow } from "../rows.js";
import { type DriverConnection, pgQuery, sqliteStatement } from "./prepared.js";
import type { NewProjectRow } from "./projects.js";

/** As BlobWriter stores them: 1 MiB rows. */
const chunkBytes = 1024 * 1024;

/**
 * Stores `bytes` as blob `id`, complete at once (it commits with the caller's transaction):
 * its row with size and sha256, and its bytes in 1 MiB `blob_chunks` rows.
 */
export async function insertCompleteBlob(
  conn: DriverConnection,
  id: string,
  bytes: Uint8Array,
  nowMs: number,
): Promise<void> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: { seq: number; offset: number; data: Buffer }[] = [];
  for (let offset = 0, seq = 0; offset < data.length; offset += chunkBytes, seq++) {
    chunks.push({ seq, offset, data: data.subarray(offset, offset + chunkBytes) });
  }
  if (conn.dialect === "sqlite") {
    sqliteStatement(
      conn.db,
      `INSERT INTO blobs (id, file_name, size_bytes, sha256, complete, created_ms, writer_replica)
       VALUES (?, '', ?, ?, 1, ?, NULL)`,
    ).run(id, data.length, sha256, nowMs);
    const insert = sqliteStatement(
      conn.db,
      "INSERT INTO blob_chunks (blob_id, seq, start_offset, data) VALUES (?, ?, ?, ?)",
    );
    for (const chunk of chunks) insert.run(id, chunk.seq, chunk.offset, chunk.data);
    return;
  }
  await pgQuery(
    conn.client,
    "tc_insert_complete_blob",
    `INSERT INTO blobs (id, file_name, size_bytes, sha256, complete, created_ms, writer_replica)
     VALUES ($1, '', $2, $3, true, $4, NULL)`,
    [id, data.length, sha256, nowMs],
  );
  for (const chunk of chunks) {
    await pgQuery(
      conn.client,
      "tc_insert_blob_chunk",
      "INSERT INTO blob_chunks (blob_id, seq, start_offset, data) VALUES ($1, $2, $3, $4)",
      [id, chunk.seq, chunk.offset, chunk.data],
    );
  }
}

/** Every column of a new project row, in the order of the INSERTs below. */
const projectColumns = [
  "name",
  "description",
  "status",
  "error",
  "request_id",
  "plugin_keys_json",
  "parameters_json",
  "additional_info_json",
  "requested_case_id_column",
  "holdout_fraction",
  "raw_blob_id",
  "requested_definition_json",
  "effective_definition_json",
  "source_project_id",
  "created_ms",
  "updated_ms",
] as const satisfies readonly (keyof NewProjectRow)[];

/** Columns of NewProjectRow the inserts below would not write: none (a test checks the type). */
export type UnwrittenProjectColumns = Exclude<keyof NewProjectRow, (typeof projectColumns)[number]>;

const columnList = `(${projectColumns.join(", ")})`;

/**
 * True when project `id` exists; on PostgreSQL its row is held (FOR SHARE) until the transaction
 * ends, so that a concurrent DeleteProject waits (SQLite serializes transactions anyway).
 */
export async function holdProject(conn: DriverConnection, id: number): Promise<boolean> {
  if (conn.dialect === "sqlite") {
    return sqliteStatement(conn.db, "SELECT id FROM projects WHERE id = ?").get(id) !== undefined;
  }
  const rows = await pgQuery(
    conn.client,
    "tc_hold_project",
    "SELECT id FROM projects WHERE id = $1 FOR SHARE",
    [id],
  );
  return rows.length > 0;
}

/**
 * True when complete blob `id` exists; on PostgreSQL its row is held (FOR SHARE) until the
 * transaction ends, so that the retention sweep, which locks what it deletes, cannot take it.
 */
export async function holdBlob(conn: DriverConnection, id: string): Promise<boolean> {
  if (conn.dialect === "sqlite") {
    return (
      sqliteStatement(conn.db, "SELECT id FROM blobs WHERE id = ? AND complete = 1").get(id) !==
      undefined
    );
  }
  const rows = await pgQuery(
    conn.client,
    "tc_hold_blob",
    "SELECT id FROM blobs WHERE id = $1 AND complete FOR SHARE",
    [id],
  );
  return rows.length > 0;
}

/** Inserts a project row; its id. */
export async function insertProjectRow(
  conn: DriverConnection,
  row: NewProjectRow,
): Promise<number> {
  const values = projectColumns.map((column) => row[column]);
  if (conn.dialect === "sqlite") {
    const placeholders = projectColumns.map(() => "?").join(", ");
    const result = sqliteStatement(
      conn.db,
      `INSERT INTO projects ${columnList} VALUES (${placeholders})`,
    ).run(...values);
    return Number(result.lastInsertRowid);
  }
  const placeholders = projectColumns.map((_, i) => `$${i + 1}`).join(", ");
  const [inserted] = await pgQuery<Pick<ProjectRow, "id">>(
    conn.client,
    "tc_insert_project",
    `INSERT INTO projects ${columnList} VALUES (${placeholders}) RETURNING id`,
    values,
  );
  if (inserted === undefined) throw new Error("insert into projects returned no id");
  return Number(inserted.id);
}
