/** What the store holds of some blobs: their rows, their chunk rows and their files. */
import type { Knex } from "knex";
import { blobFilesOf } from "../../src/store/blobs/blob-files.js";

export interface StoredBlobParts {
  readonly blobs: number;
  /** Chunk rows plus blob files: anything that holds bytes. */
  readonly stored: number;
}

/** The parts of blobs whose ids start with `prefix` (`not`: all other blobs). */
export async function storedBlobParts(
  db: Knex,
  prefix: string,
  options: { not?: boolean } = {},
): Promise<StoredBlobParts> {
  const pattern = `${prefix}%`;
  const like = options.not ? "not like" : "like";
  const blobs = await db("blobs").where("id", like, pattern).count({ n: "*" });
  const chunks = await db("blob_chunks").where("blob_id", like, pattern).count({ n: "*" });
  const files = (await blobFilesOf(db)?.list()) ?? [];
  const matching = files.filter((name) => name.startsWith(prefix) !== Boolean(options.not));
  return { blobs: Number(blobs[0]?.n), stored: Number(chunks[0]?.n) + matching.length };
}
