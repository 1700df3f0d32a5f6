import type { Knex } from "knex";
import { appendBlobChunk, completeBlob, createBlob, newBlobId } from "../store/sql/blobs.js";

const maxChunkBytes = 1024 * 1024;

/** Writes a file into the store chunk by chunk; readable only once `finish()` marked it complete. */
export class BlobWriter {
  private seq = 0;
  private size = 0;

  private constructor(
    private readonly db: Knex,
    readonly id: string,
  ) {}

  static async create(db: Knex, prefix: string, nowMs = Date.now()): Promise<BlobWriter> {
    const writer = new BlobWriter(db, newBlobId(prefix));
    await createBlob(db, writer.id, nowMs);
    return writer;
  }

  async write(chunk: Uint8Array): Promise<void> {
    for (let offset = 0; offset < chunk.length; offset += maxChunkBytes) {
      const piece = chunk.subarray(offset, offset + maxChunkBytes);
      await appendBlobChunk(this.db, this.id, this.seq++, Buffer.from(piece));
      this.size += piece.length;
    }
  }

  async finish(): Promise<{ id: string; sizeBytes: number }> {
    await completeBlob(this.db, this.id, this.size);
    return { id: this.id, sizeBytes: this.size };
  }
}
