import { createHash, type Hash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import type { Knex } from "knex";
import { appendBlobChunks, completeBlob, createBlob, deleteBlob, newBlobId } from "../sql/blobs.js";
import { type BlobFiles, blobFilesOf, writeAllSync } from "./blob-files.js";

/** A blob whose bytes are all written and durable. */
export interface SealedBlob {
  readonly id: string;
  readonly sizeBytes: number;
  /** Lower-case hex SHA-256 of the bytes. */
  readonly sha256: string;
}

/** Stored chunks are 1 MiB rows: big enough for few statements, small enough to stream. */
const chunkBytes = 1024 * 1024;
/** The smallest row buffer: a small file's first row grows from here as bytes come. */
const minRowBytes = 16 * 1024;
/** Rows per INSERT: one statement (one commit) per 4 MiB. */
const rowsPerStatement = 4;

/**
 * Writes a file into the store chunk by chunk, hashing it on the way; readable only once
 * `finish()` marked it complete.
 *
 * On an SQLite file database, outside a caller's transaction (uploads, preprocessed outputs),
 * the bytes go to the blob's file (`BlobFiles`) as they come, written at once
 * (synchronously: into the page cache, a fraction of a millisecond per MiB); `finish()` syncs
 * the file and its directory entry before the commit that marks the blob complete. Written
 * through libuv's threads instead, each chunk would stay alive until its write ended: more
 * memory at the peak, for no gain in speed.
 *
 * Elsewhere (PostgreSQL, in-memory SQLite, and inside a caller's transaction: an inline
 * dataset) they go to `blob_chunks` rows. Bytes are copied once, into 1 MiB row buffers that
 * are reused after their INSERT (so the caller may reuse its buffer as soon as `write`
 * resolves); every `rowsPerStatement` full rows are written with one multi-row INSERT, which
 * `write` awaits (backpressure). On PostgreSQL, outside a caller's transaction, chunk rows are
 * committed with `synchronous_commit = off` (no wait for the WAL flush); `finish()` marks the
 * blob complete with an ordinary, synchronous commit, and a synchronous commit flushes the WAL
 * up to its own commit record, i.e. every chunk committed before it as well: a blob is never
 * complete without its bytes being durable.
 */
export class BlobWriter {
  private seq = 0;
  private size = 0;
  private readonly hash: Hash = createHash("sha256");
  /** Rows being filled: all full but the last. */
  private rows: Buffer[] = [];
  private used = 0;
  private readonly spare: Buffer[] = [];

  /** The blob's file, when its bytes go to one (see above). */
  private file: { readonly files: BlobFiles; readonly handle: FileHandle } | undefined;

  private constructor(
    private readonly db: Knex,
    readonly id: string,
  ) {}

  static async create(
    db: Knex,
    prefix: string,
    nowMs = Date.now(),
    fileName = "",
    writerReplica: string | null = null,
  ): Promise<BlobWriter> {
    const writer = new BlobWriter(db, newBlobId(prefix));
    await createBlob(db, writer.id, nowMs, fileName, writerReplica);
    const files = db.isTransaction ? undefined : blobFilesOf(db);
    if (files) {
      try {
        writer.file = { files, handle: await files.create(writer.id) };
      } catch (error) {
        await deleteBlob(db, writer.id);
        throw error;
      }
    }
    return writer;
  }

  /** Bytes accepted so far. */
  get bytesWritten(): number {
    return this.size + this.pendingBytes();
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.hash.update(chunk);
    if (this.file) {
      writeAllSync(this.file.handle.fd, chunk);
      this.size += chunk.length;
      return;
    }
    let from = 0;
    while (from < chunk.length) {
      if (this.rows.length === 0 || this.used === chunkBytes) {
        if (this.rows.length === rowsPerStatement) await this.flush();
        this.rows.push(
          this.spare.pop() ?? Buffer.allocUnsafe(this.newRowBytes(chunk.length - from)),
        );
        this.used = 0;
      }
      const n = Math.min(chunk.length - from, chunkBytes - this.used);
      const row = this.rowWithRoom(n);
      row.set(from === 0 && n === chunk.length ? chunk : chunk.subarray(from, from + n), this.used);
      this.used += n;
      from += n;
    }
  }

  async finish(): Promise<SealedBlob> {
    const sealed = await this.seal();
    await completeBlob(this.db, this.id, sealed.sizeBytes, sealed.sha256);
    return sealed;
  }

  /**
   * Makes every byte durable and returns what was written, leaving the blob incomplete: the
   * caller marks it complete (`completeBlob`) in its own transaction, with whatever links it, or
   * discards it.
   */
  async seal(): Promise<SealedBlob> {
    if (this.rows.length > 0) await this.flush();
    this.spare.length = 0;
    if (this.file) {
      const { files, handle } = this.file;
      this.file = undefined;
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await files.syncDirectory();
    }
    return { id: this.id, sizeBytes: this.size, sha256: this.hash.digest("hex") };
  }

  /** Removes everything written so far. */
  async discard(): Promise<void> {
    this.rows = [];
    this.spare.length = 0;
    const handle = this.file?.handle;
    this.file = undefined;
    await handle?.close().catch(() => {});
    await deleteBlob(this.db, this.id);
  }

  /**
   * A new row's buffer: the full 1 MiB once a row has filled up (a large file), else no more
   * than the bytes at hand need. A small file (an inline dataset) then allocates kilobytes, not
   * a MiB: a MiB per project, dead at once, made V8 run a full collection every few projects.
   */
  private newRowBytes(bytesAtHand: number): number {
    return this.seq > 0 || this.rows.length > 0
      ? chunkBytes
      : Math.min(chunkBytes, Math.max(minRowBytes, bytesAtHand));
  }

  /** The row being filled, grown (doubling, at most to 1 MiB) to take `bytes` more. */
  private rowWithRoom(bytes: number): Buffer {
    const last = this.rows.length - 1;
    const row = this.rows[last] as Buffer;
    const needed = this.used + bytes;
    if (needed <= row.length) return row;
    const grown = Buffer.allocUnsafe(Math.min(chunkBytes, Math.max(needed, 2 * row.length)));
    row.copy(grown, 0, 0, this.used);
    this.rows[last] = grown;
    return grown;
  }

  private pendingBytes(): number {
    return this.rows.length === 0 ? 0 : (this.rows.length - 1) * chunkBytes + this.used;
  }

  /** Writes every row being filled (the last as far as it is filled) with one INSERT. */
  private async flush(): Promise<void> {
    const rows = this.rows;
    const lastUsed = this.used;
    this.rows = [];
    this.used = 0;
    const chunks = rows.map((row, i) => {
      const data = i === rows.length - 1 ? row.subarray(0, lastUsed) : row;
      const chunk = { seq: this.seq++, startOffset: this.size, data };
      this.size += data.length;
      return chunk;
    });
    await appendBlobChunks(this.db, this.id, chunks, { asyncCommit: !this.db.isTransaction });
    // The driver is done with the bytes: the full-size buffers can be filled again.
    for (const row of rows) if (row.length === chunkBytes) this.spare.push(row);
  }
}
