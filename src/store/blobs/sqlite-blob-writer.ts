/**
 * Blob writing on a dedicated better-sqlite3 connection (used by the preprocessing worker
 * thread), beside the core's own knex connection.
 *
 * On a database file (always, in the core) a blob's bytes go to its file beside the database
 * (`BlobFiles`) as they come; `finishChunks` fdatasyncs it, and
 * `completeBlobsDurably` fsyncs the directory, then marks the blobs complete in a transaction
 * committed with `synchronous = FULL`. A crash before that commit leaves incomplete rows and
 * their files, swept at the next start (deleteOrphanedBlobs). In an in-memory database (tests)
 * the bytes go to `blob_chunks` rows, a few per transaction, assembled in reused 1 MiB buffers.
 */
import { createHash, type Hash } from "node:crypto";
import { closeSync, fdatasyncSync } from "node:fs";
import type BetterSqlite3 from "better-sqlite3";
import { BlobFiles, readFileChunksSync, writeAllSync } from "./blob-files.js";
import { DeadBufferCollector } from "./dead-buffer-collector.js";

/** Stored chunks are 1 MiB rows, as the knex `BlobWriter` writes them. */
export const SQLITE_CHUNK_BYTES = 1024 * 1024;
/** Rows per transaction. */
const ROWS_PER_TRANSACTION = 2;

export type SqliteDatabase = BetterSqlite3.Database;

/**
 * Runs a write on this connection while the core's own connection is in no transaction (see
 * the worker's write lock); the identity when nothing else writes.
 */
export type WriteLock = <T>(write: () => T) => T;

const noLock: WriteLock = (write) => write();

/** The blob files of a file database (as openStore registers them); none in memory. */
function blobFilesBeside(db: SqliteDatabase): BlobFiles | undefined {
  return db.memory ? undefined : BlobFiles.besideDatabase(db.name);
}

/**
 * The page cache of a blob connection, in KiB. better-sqlite3 builds SQLite with a 16 MB
 * default, which a pass over a large file fills with blob overflow pages that are read or
 * written once and never again: 16 MB of memory for nothing. The b-tree pages the blob work
 * does reuse (the interior pages of `blob_chunks` and `blobs`) fit in far less.
 */
export const BLOB_CONNECTION_CACHE_KIB = 512;

/**
 * Opens a connection for blob work: WAL (as the core's), NORMAL sync, waits on busy, a small
 * page cache.
 */
export async function openBlobConnection(filename: string): Promise<SqliteDatabase> {
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(filename);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 10000");
  db.pragma(`cache_size = -${BLOB_CONNECTION_CACHE_KIB}`);
  return db;
}

export class SqliteBlobWriter {
  private seq = 0;
  private size = 0;
  private readonly hash: Hash = createHash("sha256");
  /** Rows being filled: all full but the last. */
  private readonly rows: Buffer[] = [];
  private used = 0;
  private readonly insert: BetterSqlite3.Statement;
  private readonly insertMany: (rows: readonly Buffer[]) => void;

  private constructor(
    db: SqliteDatabase,
    readonly id: string,
    private readonly lock: WriteLock,
    /** The blob's file, on a file database (see src/store/blob-files.ts); else rows. */
    private fd: number | undefined,
  ) {
    this.insert = db.prepare(
      "INSERT INTO blob_chunks (blob_id, seq, start_offset, data) VALUES (?, ?, ?, ?)",
    );
    this.insertMany = db.transaction((rows: readonly Buffer[]) => {
      for (const row of rows) {
        this.insert.run(this.id, this.seq++, this.size, row);
        this.size += row.length;
      }
    });
  }

  static create(
    db: SqliteDatabase,
    id: string,
    lock: WriteLock = noLock,
    nowMs = Date.now(),
  ): SqliteBlobWriter {
    const insert = db.prepare(
      "INSERT INTO blobs (id, file_name, size_bytes, sha256, complete, created_ms) VALUES (?, '', 0, '', 0, ?)",
    );
    lock(() => insert.run(id, nowMs));
    return new SqliteBlobWriter(db, id, lock, blobFilesBeside(db)?.createSync(id));
  }

  get bytesWritten(): number {
    return this.size + this.pendingBytes();
  }

  /** Synchronous; returns a resolved promise so it can serve as a pipeline sink. */
  write(chunk: Uint8Array): Promise<void> {
    this.writeSync(chunk);
    return Promise.resolve();
  }

  writeSync(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.hash.update(chunk);
    if (this.fd !== undefined) {
      writeAllSync(this.fd, chunk);
      this.size += chunk.length;
      return;
    }
    let from = 0;
    while (from < chunk.length) {
      if (this.rows.length === 0 || this.used === SQLITE_CHUNK_BYTES) {
        if (this.rows.length === ROWS_PER_TRANSACTION) this.flushRows();
        this.rows.push(this.spare.pop() ?? Buffer.allocUnsafe(SQLITE_CHUNK_BYTES));
        this.used = 0;
      }
      const row = this.rows[this.rows.length - 1] as Buffer;
      const n = Math.min(chunk.length - from, SQLITE_CHUNK_BYTES - this.used);
      row.set(chunk.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
    }
  }

  /**
   * Writes what is left (a file: syncs it) and returns the size and hash; the blob is not
   * complete yet (see `completeBlobsDurably`).
   */
  finishChunks(): { id: string; sizeBytes: number; sha256: string } {
    if (this.rows.length > 0) this.flushRows();
    if (this.fd !== undefined) {
      fdatasyncSync(this.fd);
      this.abandon();
    }
    return { id: this.id, sizeBytes: this.size, sha256: this.hash.digest("hex") };
  }

  /** Closes the blob's file, if open (a thread's open files outlive it: they are the process's). */
  abandon(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    closeSync(fd);
  }

  private readonly spare: Buffer[] = [];

  private pendingBytes(): number {
    return this.rows.length === 0 ? 0 : (this.rows.length - 1) * SQLITE_CHUNK_BYTES + this.used;
  }

  /** Writes every row being filled (the last one as far as it is filled) in one transaction. */
  private flushRows(): void {
    const rows = this.rows.splice(0);
    const lastUsed = this.used;
    const data = rows.map((row, i) => (i === rows.length - 1 ? row.subarray(0, lastUsed) : row));
    this.lock(() => this.insertMany(data));
    // SQLite copied the bytes: the buffers can be filled again.
    this.spare.push(...rows);
    this.used = 0;
  }
}

/**
 * Marks blobs complete in one transaction committed with `synchronous = FULL` (an fsync of the
 * WAL, which also makes every chunk written before it durable: see the top of this file).
 */
export function completeBlobsDurably(
  db: SqliteDatabase,
  blobs: readonly { id: string; sizeBytes: number; sha256: string }[],
  lock: WriteLock = noLock,
): void {
  const update = db.prepare(
    "UPDATE blobs SET size_bytes = ?, sha256 = ?, complete = 1 WHERE id = ?",
  );
  const complete = db.transaction(() => {
    for (const blob of blobs) update.run(blob.sizeBytes, blob.sha256, blob.id);
  });
  // The files were synced by finishChunks; their names must be durable too.
  blobFilesBeside(db)?.syncDirectorySync();
  lock(() => {
    db.pragma("synchronous = FULL");
    try {
      complete();
    } finally {
      db.pragma("synchronous = NORMAL");
    }
  });
}

export function deleteBlobsSync(
  db: SqliteDatabase,
  ids: readonly string[],
  lock: WriteLock = noLock,
): void {
  const chunks = db.prepare("DELETE FROM blob_chunks WHERE blob_id = ?");
  const blobs = db.prepare("DELETE FROM blobs WHERE id = ?");
  const remove = db.transaction(() => {
    for (const id of ids) {
      chunks.run(id);
      blobs.run(id);
    }
  });
  lock(() => remove());
  blobFilesBeside(db)?.removeSync(ids);
}

/**
 * A blob's chunks from the start (fresh Buffers, see below): from its file, or `pageRows` chunk rows
 * per query; the young generation is collected every few MiB read (see
 * `DeadBufferCollector`). With `sizeBytes`, a blob whose bytes end early throws. With
 * `reusedBuffers`, a blob file is read into that many Buffers in turn (see readFileChunksSync:
 * a chunk is overwritten once that many more have been read).
 */
export function* readBlobChunksSync(
  db: SqliteDatabase,
  blobId: string,
  sizeBytes?: number,
  pageRows = 2,
  reusedBuffers = 0,
): Generator<Buffer> {
  const garbage = new DeadBufferCollector(4 * 1024 * 1024);
  let delivered = 0;
  for (const chunk of storedChunksSync(db, blobId, pageRows, reusedBuffers)) {
    garbage.allocated(chunk.length);
    delivered += chunk.length;
    yield chunk;
  }
  if (sizeBytes !== undefined && delivered !== sizeBytes) {
    throw new Error(
      `the stored file ${blobId} ends after ${delivered} of its ${sizeBytes} bytes: part of it was lost from the store`,
    );
  }
}

function* storedChunksSync(
  db: SqliteDatabase,
  blobId: string,
  pageRows: number,
  reusedBuffers: number,
) {
  const fd = blobFilesBeside(db)?.openForReadingSync(blobId);
  if (fd !== undefined) {
    try {
      yield* readFileChunksSync(fd, undefined, reusedBuffers);
    } finally {
      closeSync(fd);
    }
    return;
  }
  const page = db.prepare(
    "SELECT seq, data FROM blob_chunks WHERE blob_id = ? AND seq >= ? ORDER BY seq LIMIT ?",
  );
  let nextSeq = 0;
  for (;;) {
    const rows = page.all(blobId, nextSeq, pageRows) as { seq: number; data: Buffer }[];
    for (const row of rows) yield row.data;
    if (rows.length < pageRows) return;
    nextSeq = (rows.at(-1)?.seq ?? 0) + 1;
  }
}
