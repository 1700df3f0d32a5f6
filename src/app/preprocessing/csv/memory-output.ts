/**
 * In-memory outputs of the preprocessing pipeline, for small files: the training and holdout
 * files are collected here, then stored, complete, in the same transaction that records the
 * dataset (see PreprocessingRunner). Both outputs draw on one byte budget, so memory stays
 * bounded whatever the input expands to (a small gzip file may decompress to a large one):
 * a write past the budget throws `OutputBudgetExceeded`, and the caller preprocesses the file
 * again the streaming way.
 */
import { createHash, type Hash } from "node:crypto";
import type { ChunkSink } from "./types.js";

/** The outputs of one file outgrew their budget. */
export class OutputBudgetExceeded extends Error {
  override readonly name = "OutputBudgetExceeded";
}

/** Bytes the outputs of one file may still hold. */
export class OutputBudget {
  constructor(private remaining: number) {}

  take(bytes: number): void {
    if (bytes > this.remaining) {
      throw new OutputBudgetExceeded("the preprocessed outputs exceed the in-memory budget");
    }
    this.remaining -= bytes;
  }
}

/** One stored chunk row, as `appendBlobChunks` takes it. */
export interface ChunkRow {
  readonly seq: number;
  readonly startOffset: number;
  readonly data: Buffer;
}

/** A complete file, ready to be stored as a blob. */
export interface CollectedFile {
  readonly sizeBytes: number;
  readonly sha256: string;
  /** Consecutive rows of at most the given row size, the last one shorter. */
  readonly chunks: readonly ChunkRow[];
}

export class MemoryOutput implements ChunkSink {
  private parts: Buffer[] = [];
  private size = 0;
  private readonly hash: Hash = createHash("sha256");

  constructor(private readonly budget: OutputBudget) {}

  async write(chunk: Buffer): Promise<void> {
    if (chunk.length === 0) return;
    this.budget.take(chunk.length);
    this.hash.update(chunk);
    // The pipeline reuses the chunk's buffer once this resolves: keep a copy.
    this.parts.push(Buffer.from(chunk));
    this.size += chunk.length;
  }

  /**
   * The file cut into rows of `rowBytes` (the last one shorter; none for an empty file), its
   * size and sha256. Copies each part into its row once and lets it go, so the peak is the
   * file plus one row.
   */
  finish(rowBytes: number): CollectedFile {
    const parts = this.parts;
    this.parts = [];
    const chunks: ChunkRow[] = [];
    let part = 0;
    let partOffset = 0;
    for (let startOffset = 0; startOffset < this.size; startOffset += rowBytes) {
      const data = Buffer.allocUnsafe(Math.min(rowBytes, this.size - startOffset));
      let filled = 0;
      while (filled < data.length) {
        const source = parts[part] as Buffer;
        const n = source.copy(data, filled, partOffset);
        filled += n;
        partOffset += n;
        if (partOffset === source.length) {
          parts[part] = Buffer.alloc(0);
          part += 1;
          partOffset = 0;
        }
      }
      chunks.push({ seq: chunks.length, startOffset, data });
    }
    return { sizeBytes: this.size, sha256: this.hash.digest("hex"), chunks };
  }
}
