import { createHash, type Hash } from "node:crypto";
import type { Knex } from "knex";
import {
  appendBlobChunk,
  completeBlob,
  createBlob,
  deleteBlob,
  newBlobId,
} from "../store/sql/blobs.js";

/** Stored chunks are about this size: big enough for few statements, small enough to stream. */
const chunkBytes = 1024 * 1024;

/**
 * Writes a file into the store chunk by chunk (each `write` awaits its insert: backpressure),
 * hashing it on the way; readable only once `finish()` marked it complete.
 */
export class BlobWriter {
  private seq = 0;
  private size = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly hash: Hash = createHash("sha256");

  private constructor(
    private readonly db: Knex,
    readonly id: string,
  ) {}

  static async create(
    db: Knex,
    prefix: string,
    nowMs = Date.now(),
    fileName = "",
  ): Promise<BlobWriter> {
    const writer = new BlobWriter(db, newBlobId(prefix));
    await createBlob(db, writer.id, nowMs, fileName);
    return writer;
  }

  /** Bytes accepted so far. */
  get bytesWritten(): number {
    return this.size + this.pendingBytes;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.hash.update(chunk);
    // Copy: the caller may reuse its buffer once this resolves.
    this.pending.push(Buffer.from(chunk));
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= chunkBytes) await this.flush(chunkBytes);
  }

  async finish(): Promise<{ id: string; sizeBytes: number; sha256: string }> {
    if (this.pendingBytes > 0) await this.flush(this.pendingBytes);
    const sha256 = this.hash.digest("hex");
    await completeBlob(this.db, this.id, this.size, sha256);
    return { id: this.id, sizeBytes: this.size, sha256 };
  }

  /** Removes everything written so far. */
  async discard(): Promise<void> {
    await deleteBlob(this.db, this.id);
  }

  private async flush(bytes: number): Promise<void> {
    const all =
      this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    const piece = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    await appendBlobChunk(this.db, this.id, this.seq++, this.size, piece);
    this.size += piece.length;
  }
}
