import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { expect, it } from "vitest";
import {
  BLOB_CONNECTION_CACHE_KIB,
  completeBlobsDurably,
  deleteBlobsSync,
  openBlobConnection,
  readBlobChunksSync,
  SQLITE_CHUNK_BYTES,
  SqliteBlobWriter,
} from "../../../src/store/blobs/sqlite-blob-writer.js";

const schema = `
  CREATE TABLE blobs (id TEXT PRIMARY KEY, file_name TEXT NOT NULL, size_bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL, complete INTEGER NOT NULL, created_ms INTEGER NOT NULL);
  CREATE TABLE blob_chunks (blob_id TEXT NOT NULL REFERENCES blobs(id), seq INTEGER NOT NULL,
    start_offset INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (blob_id, seq));
`;

/** In memory: blobs as chunk rows. */
function database() {
  const db = new Database(":memory:");
  db.exec(schema);
  return db;
}

it.each([
  ["pieces that straddle rows", 300_001],
  ["pieces larger than a row", 2 * SQLITE_CHUNK_BYTES + 17],
  ["one byte, then the rest", 1],
])("stores %s as 1 MiB rows with their offsets, complete only at the end", (_name, piece) => {
  const db = database();
  const data = randomBytes(5 * SQLITE_CHUNK_BYTES + 12_345);
  const writer = SqliteBlobWriter.create(db, "td_x");
  for (let at = 0; at < data.length; ) {
    const size = at === 0 ? piece : Math.max(piece, 65_536);
    writer.writeSync(data.subarray(at, at + size));
    at += size;
  }
  const blob = writer.finishChunks();
  expect(db.prepare("SELECT complete FROM blobs WHERE id = 'td_x'").get()).toEqual({ complete: 0 });
  completeBlobsDurably(db, [blob]);
  expect(blob).toEqual({
    id: "td_x",
    sizeBytes: data.length,
    sha256: createHash("sha256").update(data).digest("hex"),
  });
  const rows = db
    .prepare("SELECT seq, start_offset, length(data) AS n FROM blob_chunks ORDER BY seq")
    .all() as { seq: number; start_offset: number; n: number }[];
  expect(rows.map((r) => r.start_offset)).toEqual(rows.map((r) => r.seq * SQLITE_CHUNK_BYTES));
  expect(rows.slice(0, -1).every((r) => r.n === SQLITE_CHUNK_BYTES)).toBe(true);
  expect(Buffer.concat([...readBlobChunksSync(db, "td_x")]).equals(data)).toBe(true);
  expect(db.prepare("SELECT complete, size_bytes FROM blobs").get()).toEqual({
    complete: 1,
    size_bytes: data.length,
  });
  deleteBlobsSync(db, ["td_x"]);
  expect(db.prepare("SELECT count(*) AS n FROM blob_chunks").get()).toEqual({ n: 0 });
});

it("opens blob connections in WAL mode with a small page cache (not better-sqlite3's 16 MB)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "blob-connection-"));
  try {
    const db = await openBlobConnection(join(dir, "core.db"));
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("synchronous", { simple: true })).toBe(1); // NORMAL
    expect(db.pragma("cache_size", { simple: true })).toBe(-BLOB_CONNECTION_CACHE_KIB);
    expect(BLOB_CONNECTION_CACHE_KIB).toBeLessThanOrEqual(1024);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it("on a database file, writes each blob to its file beside the database, rows only for the state", () => {
  const dir = mkdtempSync(join(tmpdir(), "blob-files-"));
  try {
    const path = join(dir, "core.db");
    const db = new Database(path);
    db.exec(schema);
    const data = randomBytes(3 * SQLITE_CHUNK_BYTES + 999);
    const writer = SqliteBlobWriter.create(db, "td_file");
    for (let at = 0; at < data.length; at += 700_001) {
      writer.writeSync(data.subarray(at, at + 700_001));
    }
    const blob = writer.finishChunks();
    expect(statSync(join(`${path}-blobs`, "td_file")).size).toBe(data.length);
    expect(db.prepare("SELECT complete FROM blobs").get()).toEqual({ complete: 0 });
    completeBlobsDurably(db, [blob]);
    expect(db.prepare("SELECT complete, size_bytes FROM blobs").get()).toEqual({
      complete: 1,
      size_bytes: data.length,
    });
    expect(db.prepare("SELECT count(*) AS n FROM blob_chunks").get()).toEqual({ n: 0 });
    const chunks = [...readBlobChunksSync(db, "td_file")];
    expect(chunks.map((chunk) => chunk.length)).toEqual([
      SQLITE_CHUNK_BYTES,
      SQLITE_CHUNK_BYTES,
      SQLITE_CHUNK_BYTES,
      999,
    ]);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    // Read into two reused buffers: the same bytes, each chunk copied before the next is read.
    const reused: { memory: ArrayBufferLike; copy: Buffer }[] = [];
    for (const chunk of readBlobChunksSync(db, "td_file", data.length, 2, 2)) {
      reused.push({ memory: chunk.buffer, copy: Buffer.from(chunk) });
    }
    expect(Buffer.concat(reused.map((chunk) => chunk.copy)).equals(data)).toBe(true);
    expect(new Set(reused.map((chunk) => chunk.memory)).size).toBe(2);
    expect(reused[2]?.memory).toBe(reused[0]?.memory);
    expect(() => [...readBlobChunksSync(db, "td_file", data.length + 1)]).toThrow(
      `td_file ends after ${data.length} of its ${data.length + 1} bytes`,
    );
    // One abandoned midway (its file closed), then both removed.
    const abandoned = SqliteBlobWriter.create(db, "ho_file");
    abandoned.writeSync(data.subarray(0, 1000));
    abandoned.abandon();
    abandoned.abandon();
    deleteBlobsSync(db, ["td_file", "ho_file"]);
    expect(readdirSync(`${path}-blobs`)).toEqual([]);
    expect(db.prepare("SELECT count(*) AS n FROM blobs").get()).toEqual({ n: 0 });
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
