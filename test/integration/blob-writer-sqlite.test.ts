// Blobs on an SQLite file: BlobWriter streams a blob's bytes into its file beside the database
// (src/store/blob-files.ts); inside a caller's transaction (an inline dataset) into chunk rows.
// Readers take the file, else the rows; deletion and the start-up sweeps remove the files.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { BlobWriter } from "../../src/store/blobs/blob-writer.js";
import { openStore, type Store } from "../../src/store/connect.js";
import {
  appendBlobChunks,
  createBlob,
  deleteBlob,
  deleteUnrecordedBlobFiles,
  readBlobChunks,
} from "../../src/store/sql/blobs.js";
import { deleteOrphanedBlobs } from "../../src/store/sql/claims.js";

let dir: string;
let store: Store;
let blobDir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "blob-writer-"));
  store = await openStore(`sqlite:${join(dir, "core.db")}`);
  blobDir = join(dir, "core.db-blobs");
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const MiB = 1024 * 1024;

function piece(index: number, size: number): Buffer {
  const bytes = Buffer.alloc(size, index % 251);
  bytes.writeUInt32BE(index, 0);
  return bytes;
}

async function readAll(id: string, offset = 0): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of readBlobChunks(store.db, id, offset)) parts.push(chunk);
  return Buffer.concat(parts);
}

const chunkRows = async (id: string) =>
  Number((await store.db("blob_chunks").where({ blob_id: id }).count({ n: "*" }))[0]?.n);

it("streams a file of 20 MiB into its blob file, complete only at the end", {
  timeout: 60_000,
}, async () => {
  const writer = await BlobWriter.create(store.db, "ds");
  const hash = createHash("sha256");
  const pieceBytes = MiB + 4321;
  const pieces = Math.ceil((20 * MiB) / pieceBytes);
  for (let i = 0; i < pieces; i++) {
    const bytes = piece(i, pieceBytes);
    hash.update(bytes);
    await writer.write(bytes);
    if (i === 10) {
      // Written as they come, but the blob is not readable yet.
      expect(statSync(join(blobDir, writer.id)).size).toBe(11 * pieceBytes);
      const blob = await store.db("blobs").where({ id: writer.id }).first();
      expect(Boolean(blob.complete)).toBe(false);
    }
  }
  const stored = await writer.finish();
  expect(stored).toMatchObject({ sizeBytes: pieces * pieceBytes, sha256: hash.digest("hex") });
  expect(await chunkRows(stored.id)).toBe(0);
  const blob = await store.db("blobs").where({ id: stored.id }).first();
  expect(Boolean(blob.complete)).toBe(true);
  const whole = await readAll(stored.id);
  expect(createHash("sha256").update(whole).digest("hex")).toBe(stored.sha256);
  const offset = 3 * MiB + 17;
  expect((await readAll(stored.id, offset)).equals(whole.subarray(offset))).toBe(true);
  expect((await readAll(stored.id, whole.length)).length).toBe(0);
});

it("reads a small blob file in one chunk of its own size", async () => {
  const writer = await BlobWriter.create(store.db, "ds");
  await writer.write(Buffer.from("case,activity\n1,a\n"));
  const stored = await writer.finish();
  const chunks: Buffer[] = [];
  for await (const chunk of readBlobChunks(store.db, stored.id)) chunks.push(chunk);
  expect(chunks.map((chunk) => chunk.toString())).toEqual(["case,activity\n1,a\n"]);
  // Not a 1 MiB buffer (a small one may come from Node's 8 KiB pool).
  expect(chunks[0]?.buffer.byteLength).toBeLessThanOrEqual(8192);
});

it("leaves nothing behind when discarded, or deleted", {
  timeout: 60_000,
}, async () => {
  const discarded = await BlobWriter.create(store.db, "ds");
  for (let i = 0; i < 6; i++) await discarded.write(piece(i, MiB));
  expect(readdirSync(blobDir)).toEqual([discarded.id]);
  await discarded.discard();
  const kept = await BlobWriter.create(store.db, "ds");
  await kept.write(piece(1, 1000));
  const { id } = await kept.finish();
  expect(readdirSync(blobDir)).toEqual([id]);
  await deleteBlob(store.db, id);
  expect(readdirSync(blobDir)).toEqual([]);
  expect(await store.db("blobs").count({ n: "*" })).toEqual([{ n: 0 }]);
  expect(await store.db("blob_chunks").count({ n: "*" })).toEqual([{ n: 0 }]);
});

it("inside a transaction (an inline dataset) stores 1 MiB chunk rows, byte for byte", {
  timeout: 60_000,
}, async () => {
  const parts: Buffer[] = [];
  const stored = await store.db.transaction(async (trx) => {
    const writer = await BlobWriter.create(trx, "raw");
    // 7 bytes first (a row of the minimum size), then writes of growing sizes across 3.5 MiB.
    for (let i = 0, total = 0; total < 3.5 * MiB; i++) {
      const bytes = piece(i, i === 0 ? 7 : 1000 + ((i * 7919) % 90_000));
      parts.push(bytes);
      total += bytes.length;
      await writer.write(bytes);
    }
    return writer.finish();
  });
  const whole = Buffer.concat(parts);
  expect(stored.sizeBytes).toBe(whole.length);
  expect(existsSync(join(blobDir, stored.id))).toBe(false);
  const rows = await store.db("blob_chunks").where({ blob_id: stored.id }).orderBy("seq");
  expect(rows.map((row) => row.data.length)).toEqual([MiB, MiB, MiB, whole.length - 3 * MiB]);
  expect(rows.map((row) => Number(row.start_offset))).toEqual([0, MiB, 2 * MiB, 3 * MiB]);
  expect((await readAll(stored.id)).equals(whole)).toBe(true);
  expect((await readAll(stored.id, MiB + 5)).equals(whole.subarray(MiB + 5))).toBe(true);
});

it("reads a blob stored as rows before blob files existed", async () => {
  await createBlob(store.db, "ds_legacy", Date.now());
  const rows = [piece(0, 300), piece(1, 200)];
  await appendBlobChunks(store.db, "ds_legacy", [
    { seq: 0, startOffset: 0, data: rows[0] as Buffer },
    { seq: 1, startOffset: 300, data: rows[1] as Buffer },
  ]);
  expect((await readAll("ds_legacy")).equals(Buffer.concat(rows))).toBe(true);
  expect((await readAll("ds_legacy", 250)).equals(Buffer.concat(rows).subarray(250))).toBe(true);
});

it("sweeps, at start, the files of incomplete blobs and files that no row names", async () => {
  const incomplete = await BlobWriter.create(store.db, "ds");
  await incomplete.write(piece(0, 5000));
  const complete = await BlobWriter.create(store.db, "td");
  await complete.write(piece(1, 5000));
  const { id: completeId } = await complete.finish();
  mkdirSync(blobDir, { recursive: true });
  writeFileSync(join(blobDir, "ds_0123456789abcdef01234567"), "left by a crash");
  writeFileSync(join(blobDir, "not a blob.txt"), "someone else's");
  const context = { replicaId: "r", nowMs: Date.now(), liveCutoffMs: 0 };
  expect(await deleteOrphanedBlobs(store.db, context, true)).toBe(2);
  expect(readdirSync(blobDir).sort()).toEqual([completeId, "not a blob.txt"].sort());
  expect(await deleteUnrecordedBlobFiles(store.db)).toBe(0);
  expect(await store.db("blobs").pluck("id")).toEqual([completeId]);
});

it("fails with DATA_LOSS when a complete blob's bytes are gone from the store", async () => {
  const writer = await BlobWriter.create(store.db, "td");
  await writer.write(piece(3, 5000));
  const { id, sizeBytes } = await writer.finish();
  rmSync(join(blobDir, id));
  const read = async () => {
    for await (const _ of readBlobChunks(store.db, id, 10, sizeBytes)) {
      // nothing
    }
  };
  await expect(read()).rejects.toMatchObject({
    code: "DATA_LOSS",
    message: expect.stringMatching(new RegExp(`${id} ends after 10 of its 5000 bytes`)),
  });
});

it("keeps no row when the blob's file cannot be created", async () => {
  writeFileSync(blobDir, "a file where the blob directory should be");
  await expect(BlobWriter.create(store.db, "ds")).rejects.toThrow(/EEXIST|ENOTDIR/);
  expect(await store.db("blobs").count({ n: "*" })).toEqual([{ n: 0 }]);
});
