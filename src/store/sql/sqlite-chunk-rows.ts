/**
 * Chunk rows appended on SQLite without an fsync per commit, for `appendBlobChunks` with
 * `asyncCommit` (BlobWriter outside a caller's transaction: uploads, in-process preprocessing).
 *
 * The rows are inserted on the core's own pooled connection (held for the statement, so no
 * knex transaction is open meanwhile), in one transaction committed with
 * `synchronous = NORMAL`; the connection's own setting (FULL) is restored before it goes back
 * to the pool. In WAL mode such a commit appends its frames to the WAL without an fsync.
 *
 * Durability: the blob is readable only once `completeBlob` marks it complete, in a later
 * transaction committed at FULL, which fsyncs the WAL after appending its commit frame. That
 * covers every chunk row committed before it, by the argument of src/store/sqlite-blob-writer.ts
 * (the preprocessing worker's): the WAL is one file appended in order, and its fsync makes every
 * earlier frame durable with the commit; recovery replays frames only up to the last valid commit
 * frame (checksums are chained), so the `complete` commit never survives without an earlier
 * chunk frame; frames checkpointed into the database file before were synced there by the
 * checkpoint (at NORMAL as at FULL: the WAL before, the database file after) before the WAL was
 * reused. A crash before the completing commit leaves an incomplete blob, never read and swept at
 * the next start.
 */
import type { Knex } from "knex";
import { sqliteStatement, withSqliteConnection } from "./prepared.js";

export interface ChunkRow {
  readonly seq: number;
  readonly startOffset: number;
  readonly data: Buffer;
}

const insertSql = "INSERT INTO blob_chunks (blob_id, seq, start_offset, data) VALUES (?, ?, ?, ?)";

/** Whether `db` is knex on better-sqlite3 outside a transaction (the only case handled here). */
export function isPooledSqlite(db: Knex): boolean {
  return db.client.config.client === "better-sqlite3" && !db.isTransaction;
}

/** Inserts `rows` of blob `blobId` in one transaction committed without an fsync (see above). */
export function appendChunkRowsUnsynced(
  db: Knex,
  blobId: string,
  rows: readonly ChunkRow[],
): Promise<void> {
  return withSqliteConnection(db, (connection) => {
    const synchronous = connection.pragma("synchronous", { simple: true }) as number;
    sqliteStatement(connection, "PRAGMA synchronous = NORMAL").run();
    try {
      const insert = sqliteStatement(connection, insertSql);
      connection.transaction(() => {
        for (const row of rows) insert.run(blobId, row.seq, row.startOffset, row.data);
      })();
    } finally {
      connection.pragma(`synchronous = ${synchronous}`);
    }
  });
}
