import { randomBytes } from "node:crypto";
import type { Knex } from "knex";
import { AppError } from "../../domain/errors.js";
import { BlobFiles, blobFilesOf, readFileChunks } from "../blobs/blob-files.js";
import { DeadBufferCollector } from "../blobs/dead-buffer-collector.js";
import type { BlobRow } from "../rows.js";

/** A new opaque blob id with a readable prefix, e.g. `td_3f9a…`. */
export function newBlobId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("hex")}`;
}

export async function createBlob(
  db: Knex,
  id: string,
  nowMs: number,
  fileName = "",
  /** The replica writing it: if that replica dies first, the others remove the leftovers. */
  writerReplica: string | null = null,
): Promise<void> {
  await db("blobs").insert({
    id,
    file_name: fileName,
    size_bytes: 0,
    complete: false,
    created_ms: nowMs,
    writer_replica: writerReplica,
  });
}

export async function appendBlobChunk(
  db: Knex,
  blobId: string,
  seq: number,
  startOffset: number,
  data: Buffer,
): Promise<void> {
  await db("blob_chunks").insert({ blob_id: blobId, seq, start_offset: startOffset, data });
}

/**
 * Inserts consecutive chunks with one statement. With `asyncCommit` (outside a transaction, on
 * PostgreSQL) they are committed with `synchronous_commit = off`, without waiting for the WAL
 * flush; the blob's completing commit, synchronous, makes them durable (see BlobWriter).
 */
export async function appendBlobChunks(
  db: Knex,
  blobId: string,
  chunks: readonly { seq: number; startOffset: number; data: Buffer }[],
  options: { asyncCommit?: boolean } = {},
): Promise<void> {
  if (chunks.length === 0) return;
  const rows = chunks.map((c) => ({
    blob_id: blobId,
    seq: c.seq,
    start_offset: c.startOffset,
    data: c.data,
  }));
  if (options.asyncCommit && db.client.config.client === "pg") {
    await db.transaction(async (trx) => {
      await trx.raw("SET LOCAL synchronous_commit TO OFF");
      await trx("blob_chunks").insert(rows);
    });
    return;
  }
  await db("blob_chunks").insert(rows);
}

/** Ids bound per statement (SQLite allows 32,766 parameters; PostgreSQL 65,535). */
const idsPerStatement = 500;

/** Rows per INSERT when a whole blob is stored at once (as BlobWriter does: 4 MiB). */
const chunkRowsPerInsert = 4;

/**
 * Stores a whole file as a blob that is complete at once: its row (size, sha256) and its chunk
 * rows, a few per INSERT. Meant for a caller's transaction, so that no incomplete blob is ever
 * visible and the whole file costs that transaction's one commit.
 */
export async function insertCompleteBlob(
  db: Knex,
  blob: {
    id: string;
    nowMs: number;
    fileName?: string;
    /** As `createBlob`'s: within one transaction it never matters, but it is recorded. */
    writerReplica?: string | null;
    sizeBytes: number;
    sha256: string;
  },
  chunks: readonly { seq: number; startOffset: number; data: Buffer }[],
): Promise<void> {
  await db("blobs").insert({
    id: blob.id,
    file_name: blob.fileName ?? "",
    size_bytes: blob.sizeBytes,
    sha256: blob.sha256,
    complete: true,
    created_ms: blob.nowMs,
    writer_replica: blob.writerReplica ?? null,
  });
  for (let i = 0; i < chunks.length; i += chunkRowsPerInsert) {
    await appendBlobChunks(db, blob.id, chunks.slice(i, i + chunkRowsPerInsert));
  }
}

export async function completeBlob(
  db: Knex,
  id: string,
  sizeBytes: number,
  sha256: string,
): Promise<void> {
  await db("blobs").where({ id }).update({ size_bytes: sizeBytes, sha256, complete: true });
}

export async function findCompleteBlob(db: Knex, id: string): Promise<BlobRow | undefined> {
  return db<BlobRow>("blobs").where({ id, complete: true }).first();
}

/** Removes blobs: their rows, then their files (a complete row never lacks its file). */
export async function deleteBlobs(db: Knex, ids: readonly string[]): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < ids.length; i += idsPerStatement) {
    const some = ids.slice(i, i + idsPerStatement);
    await db("blob_chunks").whereIn("blob_id", some).delete();
    deleted += await db("blobs").whereIn("id", some).delete();
  }
  // In a transaction the rows may yet come back (rollback): their files are left to the sweep.
  if (!db.isTransaction) await blobFilesOf(db)?.remove(ids);
  return deleted;
}

export async function deleteBlob(db: Knex, id: string): Promise<void> {
  await deleteBlobs(db, [id]);
}

/**
 * Reads a blob's bytes from `offset` on, from its file or a few chunk rows per query, so memory
 * stays bounded whatever the file's size. With `sizeBytes` (the blob's recorded size), a blob
 * whose bytes end early (its file or rows lost outside the core) fails with DATA_LOSS instead
 * of passing for a shorter file.
 */
export async function* readBlobChunks(
  db: Knex,
  blobId: string,
  offset = 0,
  sizeBytes?: number,
): AsyncGenerator<Buffer> {
  let delivered = 0;
  for await (const chunk of storedBlobChunks(db, blobId, offset)) {
    delivered += chunk.length;
    yield chunk;
  }
  if (sizeBytes !== undefined && offset + delivered !== sizeBytes) {
    throw new AppError(
      "DATA_LOSS",
      `the stored file ${blobId} ends after ${offset + delivered} of its ${sizeBytes} bytes: part of it was lost from the store`,
    );
  }
}

async function* storedBlobChunks(db: Knex, blobId: string, offset: number): AsyncGenerator<Buffer> {
  const file = await blobFilesOf(db)?.openForReading(blobId);
  if (file) {
    try {
      yield* readFileChunks(file, offset);
    } finally {
      await file.close();
    }
    return;
  }
  const pageSize = 4;
  const first: { seq: number } | undefined = await db("blob_chunks")
    .select("seq")
    .where("blob_id", blobId)
    .andWhere("start_offset", "<=", offset)
    .orderBy("seq", "desc")
    .first();
  let nextSeq = first?.seq ?? 0;
  // Each row is a fresh Buffer, and a download copies it a few times more on its way out.
  const garbage = new DeadBufferCollector();
  for (;;) {
    const rows: { seq: number; start_offset: number; data: Buffer }[] = await db("blob_chunks")
      .select("seq", "start_offset", "data")
      .where("blob_id", blobId)
      .andWhere("seq", ">=", nextSeq)
      .orderBy("seq")
      .limit(pageSize);
    for (const row of rows) {
      const skip = Math.max(0, offset - row.start_offset);
      garbage.allocated(row.data.length * 2);
      if (skip < row.data.length) yield skip > 0 ? row.data.subarray(skip) : row.data;
    }
    if (rows.length < pageSize) return;
    nextSeq = (rows.at(-1)?.seq ?? 0) + 1;
  }
}

/** Removes blobs a crashed writer left incomplete, except those younger than `olderThanMs`. */
export async function deleteIncompleteBlobs(db: Knex, olderThanMs: number): Promise<number> {
  const rows: { id: string }[] = await db("blobs")
    .select("id")
    .where({ complete: false })
    .andWhere("created_ms", "<", olderThanMs);
  return deleteBlobs(
    db,
    rows.map((row) => row.id),
  );
}

/**
 * Removes blob files that no row names: left by a crash between writing a file and committing
 * its row, or by a transaction rolled back after it. Only where no blob is being written (the
 * sole SQLite replica, at start): a file is written before its row exists.
 */
export async function deleteUnrecordedBlobFiles(db: Knex): Promise<number> {
  const files = blobFilesOf(db);
  if (!files) return 0;
  const names = (await files.list()).filter(BlobFiles.isBlobName);
  const recorded = new Set<string>();
  for (let i = 0; i < names.length; i += idsPerStatement) {
    const rows: { id: string }[] = await db("blobs")
      .select("id")
      .whereIn("id", names.slice(i, i + idsPerStatement));
    for (const row of rows) recorded.add(row.id);
  }
  const unrecorded = names.filter((name) => !recorded.has(name));
  await files.remove(unrecorded);
  return unrecorded.length;
}

export async function blobSizes(db: Knex, ids: readonly string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows: { id: string; size_bytes: number }[] = await db("blobs")
    .select("id", "size_bytes")
    .whereIn("id", [...new Set(ids)]);
  return new Map(rows.map((row) => [row.id, row.size_bytes]));
}
