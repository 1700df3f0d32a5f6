// BlobWriter on an SQLite file: chunk rows committed on the core's pooled connection at
// synchronous = NORMAL (src/store/sql/sqlite-chunk-rows.ts), the connection left as it was.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Database from "better-sqlite3";
import { afterEach, beforeEach, expect, it } from "vitest";
import { BlobWriter } from "../../src/app/blob-writer.js";
import { openStore, type Store } from "../../src/store/connect.js";
import { appendBlobChunks, readBlobChunks } from "../../src/store/sql/blobs.js";

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "blob-writer-"));
  store = await openStore(`sqlite:${join(dir, "core.db")}`);
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

async function connectionSettings() {
  const connection = (await store.db.client.acquireConnection()) as Database.Database;
  try {
    return {
      synchronous: connection.pragma("synchronous", { simple: true }),
      autoCheckpoint: connection.pragma("wal_autocheckpoint", { simple: true }),
    };
  } finally {
    store.db.client.releaseConnection(connection);
  }
}

it("stores a file of 20 MiB intact, complete only at the end, and restores the connection", {
  timeout: 60_000,
}, async () => {
  const before = await connectionSettings();
  expect(before.synchronous).toBe(2); // FULL, as connect.ts sets it
  const writer = await BlobWriter.create(store.db, "ds");
  const hash = createHash("sha256");
  const pieceBytes = MiB + 4321;
  const pieces = Math.ceil((20 * MiB) / pieceBytes);
  for (let i = 0; i < pieces; i++) {
    const bytes = piece(i, pieceBytes);
    hash.update(bytes);
    await writer.write(bytes);
    if (i === 10) {
      // Rows are committed as they come, but the blob is not readable yet.
      expect(Number((await store.db("blob_chunks").count({ n: "*" }))[0]?.n)).toBeGreaterThan(0);
      expect(await connectionSettings()).toEqual(before);
      const blob = await store.db("blobs").where({ id: writer.id }).first();
      expect(Boolean(blob.complete)).toBe(false);
    }
  }
  const stored = await writer.finish();
  expect(stored).toMatchObject({ sizeBytes: pieces * pieceBytes, sha256: hash.digest("hex") });
  expect(await connectionSettings()).toEqual(before);
  const blob = await store.db("blobs").where({ id: stored.id }).first();
  expect(Boolean(blob.complete)).toBe(true);
  const readBack = createHash("sha256");
  let size = 0;
  for await (const chunk of readBlobChunks(store.db, stored.id)) {
    readBack.update(chunk);
    size += chunk.length;
  }
  expect({ size, sha256: readBack.digest("hex") }).toEqual({
    size: stored.sizeBytes,
    sha256: stored.sha256,
  });
});

it("leaves nothing behind when discarded", {
  timeout: 60_000,
}, async () => {
  const writer = await BlobWriter.create(store.db, "ds");
  for (let i = 0; i < 24; i++) await writer.write(piece(i, MiB));
  await writer.discard();
  expect(await store.db("blobs").count({ n: "*" })).toEqual([{ n: 0 }]);
  expect(await store.db("blob_chunks").count({ n: "*" })).toEqual([{ n: 0 }]);
});

it("restores the connection's settings when an insert fails", async () => {
  const before = await connectionSettings();
  await store.db("blobs").insert({
    id: "ds_x",
    file_name: "",
    size_bytes: 0,
    complete: false,
    created_ms: 0,
  });
  const row = { seq: 0, startOffset: 0, data: Buffer.from("abc") };
  await appendBlobChunks(store.db, "ds_x", [row], { asyncCommit: true });
  await expect(
    appendBlobChunks(store.db, "ds_x", [{ ...row, seq: 1 }, row], { asyncCommit: true }),
  ).rejects.toThrow(/UNIQUE|PRIMARY/i);
  expect(await connectionSettings()).toEqual(before);
  // The failed statement's transaction was rolled back as a whole.
  expect(await store.db("blob_chunks").where({ blob_id: "ds_x" }).count({ n: "*" })).toEqual([
    { n: 1 },
  ]);
});

it("stores small writes that grow the first row, in 1 MiB rows, byte for byte", {
  timeout: 60_000,
}, async () => {
  const writer = await BlobWriter.create(store.db, "ds");
  const parts: Buffer[] = [];
  // 7 bytes first (a row of the minimum size), then writes of growing sizes across 3.5 MiB.
  for (let i = 0, total = 0; total < 3.5 * MiB; i++) {
    const bytes = piece(i, i === 0 ? 7 : 1000 + ((i * 7919) % 90_000));
    parts.push(bytes);
    total += bytes.length;
    await writer.write(bytes);
  }
  const whole = Buffer.concat(parts);
  const stored = await writer.finish();
  expect(stored.sizeBytes).toBe(whole.length);
  const rows = await store.db("blob_chunks").where({ blob_id: stored.id }).orderBy("seq");
  expect(rows.map((row) => row.data.length)).toEqual([MiB, MiB, MiB, whole.length - 3 * MiB]);
  expect(rows.map((row) => Number(row.start_offset))).toEqual([0, MiB, 2 * MiB, 3 * MiB]);
  expect(Buffer.concat(rows.map((row) => row.data as Buffer)).equals(whole)).toBe(true);
});
