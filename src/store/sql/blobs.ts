import { randomBytes } from "node:crypto";
import type { Knex } from "knex";

/** A new opaque blob id with a readable prefix, e.g. `td_3f9a…`. */
export function newBlobId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("hex")}`;
}

export async function createBlob(db: Knex, id: string, nowMs: number): Promise<void> {
  await db("blobs").insert({ id, size_bytes: 0, complete: false, created_ms: nowMs });
}

export async function appendBlobChunk(
  db: Knex,
  blobId: string,
  seq: number,
  data: Buffer,
): Promise<void> {
  await db("blob_chunks").insert({ blob_id: blobId, seq, data });
}

export async function completeBlob(db: Knex, id: string, sizeBytes: number): Promise<void> {
  await db("blobs").where({ id }).update({ size_bytes: sizeBytes, complete: true });
}

export async function findCompleteBlob(
  db: Knex,
  id: string,
): Promise<{ id: string; size_bytes: number } | undefined> {
  return db("blobs").select("id", "size_bytes").where({ id, complete: true }).first();
}

/** Reads a blob's chunks in order, a few at a time, so memory stays bounded. */
export async function* readBlobChunks(db: Knex, blobId: string): AsyncGenerator<Buffer> {
  const pageSize = 8;
  let nextSeq = 0;
  for (;;) {
    const rows: { seq: number; data: Buffer }[] = await db("blob_chunks")
      .select("seq", "data")
      .where("blob_id", blobId)
      .andWhere("seq", ">=", nextSeq)
      .orderBy("seq")
      .limit(pageSize);
    for (const row of rows) yield row.data;
    if (rows.length < pageSize) return;
    nextSeq = (rows.at(-1)?.seq ?? 0) + 1;
  }
}

/** Removes blobs a crashed writer left incomplete, except those younger than `olderThanMs`. */
export async function deleteIncompleteBlobs(db: Knex, olderThanMs: number): Promise<number> {
  const ids = db("blobs")
    .select("id")
    .where({ complete: false })
    .andWhere("created_ms", "<", olderThanMs);
  await db("blob_chunks").whereIn("blob_id", ids.clone()).delete();
  return db("blobs").whereIn("id", ids).delete();
}
