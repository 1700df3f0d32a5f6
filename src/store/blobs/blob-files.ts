/**
 * The bytes of an SQLite store's blobs, in one file per blob in a directory beside the database
 * file (`<database>-blobs/<blob id>`). The `blobs` table stays the authority: a blob exists, and
 * is readable, only once its row is complete. Files hold the blobs written as streams (uploads,
 * the outputs of preprocessing files too large for memory); a blob stored whole inside a
 * caller's transaction (an inline dataset, the outputs of a small file) stays in `blob_chunks`
 * rows, committed with that transaction's one fsync. PostgreSQL (shared by replicas) and
 * in-memory SQLite keep every blob in rows. Readers take a blob's file if it has one, else its
 * rows (so blobs stored before the files existed stay readable).
 *
 * Why: as rows, every byte went through SQLite twice (the WAL, then the checkpoint into the
 * database file), 4 KiB page by page on the event loop: uploads stopped at about 110 MB/s here.
 * A file takes each byte once, in large writes.
 *
 * Durability: a blob's file is fdatasync'ed, and the directory fsync'ed (its entry), before the
 * transaction that marks the blob complete commits. A crash before that commit leaves an
 * incomplete row and its file, both swept at the next start (deleteOrphanedBlobs). Deleting
 * removes the rows first, then the file, so a complete row never lacks its file; a crash in
 * between leaves a file no row names, swept at the next start too (deleteUnrecordedBlobFiles).
 */
import fs, { constants, type promises as fsPromises } from "node:fs";
import { join } from "node:path";

const { open, readdir, unlink, mkdir } = fs.promises;

/** Bytes per chunk a reader yields (each a fresh Buffer): the size of the stored rows. */
export const BLOB_READ_CHUNK_BYTES = 1024 * 1024;

/** Blob ids are `<prefix>_<hex>` (newBlobId); anything else cannot name a file here. */
const safeId = /^[A-Za-z0-9_-]{1,100}$/;

export class BlobFiles {
  private directoryReady = false;

  constructor(readonly directory: string) {}

  /** Where the blobs of the SQLite database `filename` live. */
  static besideDatabase(filename: string): BlobFiles {
    return new BlobFiles(`${filename}-blobs`);
  }

  /** Whether `name` (a directory entry) can be a blob's file. */
  static isBlobName(name: string): boolean {
    return safeId.test(name);
  }

  path(id: string): string {
    if (!safeId.test(id)) throw new Error(`not a blob id: ${JSON.stringify(id.slice(0, 120))}`);
    return join(this.directory, id);
  }

  /** Creates (or truncates) the file of blob `id`, for writing. */
  async create(id: string): Promise<fsPromises.FileHandle> {
    if (!this.directoryReady) {
      await mkdir(this.directory, { recursive: true });
      this.directoryReady = true;
    }
    return open(this.path(id), "w");
  }

  createSync(id: string): number {
    if (!this.directoryReady) {
      fs.mkdirSync(this.directory, { recursive: true });
      this.directoryReady = true;
    }
    return fs.openSync(this.path(id), "w");
  }

  /** Makes the directory's entries (new files' names) durable. */
  async syncDirectory(): Promise<void> {
    const handle = await open(this.directory, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  syncDirectorySync(): void {
    const fd = fs.openSync(this.directory, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The blob's file for reading, or undefined when it has none (its bytes are rows). */
  async openForReading(id: string): Promise<fsPromises.FileHandle | undefined> {
    try {
      return await open(this.path(id), "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  openForReadingSync(id: string): number | undefined {
    try {
      return fs.openSync(this.path(id), "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** Removes the files of `ids` (those that have one). */
  async remove(ids: Iterable<string>): Promise<void> {
    for (const id of ids) {
      await unlink(this.path(id)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
    }
  }

  removeSync(ids: Iterable<string>): void {
    for (const id of ids) {
      try {
        fs.unlinkSync(this.path(id));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
  }

  /** Names of the files in the directory (none if it does not exist yet). */
  async list(): Promise<string[]> {
    try {
      return await readdir(this.directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }
}

/** Writes all of `chunk` at the file's current position. */
export function writeAllSync(fd: number, chunk: Uint8Array): void {
  for (let written = 0; written < chunk.length; ) {
    written += fs.writeSync(fd, chunk, written, chunk.length - written);
  }
}

/**
 * A blob file's bytes from `offset` on, in fresh Buffers of at most `chunkBytes` (no larger
 * than what is left: a small file costs no 1 MiB buffer).
 */
export async function* readFileChunks(
  handle: fsPromises.FileHandle,
  offset: number,
  chunkBytes = BLOB_READ_CHUNK_BYTES,
): AsyncGenerator<Buffer> {
  const { size } = await handle.stat();
  let position = offset;
  while (position < size) {
    const buffer = Buffer.allocUnsafe(Math.min(chunkBytes, size - position));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
  }
}

/**
 * A file's chunks from its start. Each is a fresh Buffer, unless `reusedBuffers` (at least 2):
 * the chunks are then read in turn into that many Buffers allocated once, so a chunk's bytes
 * stay valid only until `reusedBuffers - 1` more chunks have been read (each chunk is still a
 * view object of its own). That suits a consumer that is done with a chunk, except for pieces it
 * copies or holds until the next chunk, before it asks for the next one (the CSV and XES readers);
 * a fresh Buffer per MiB read is memory V8 gives back only when it collects the Buffer's wrapper.
 */
export function* readFileChunksSync(
  fd: number,
  chunkBytes = BLOB_READ_CHUNK_BYTES,
  reusedBuffers = 0,
): Generator<Buffer> {
  const { size } = fs.fstatSync(fd);
  const ring: Buffer[] = [];
  let turn = 0;
  let position = 0;
  while (position < size) {
    const length = Math.min(chunkBytes, size - position);
    let buffer: Buffer;
    if (reusedBuffers < 2) buffer = Buffer.allocUnsafe(length);
    else {
      if (ring.length < reusedBuffers) ring.push(Buffer.allocUnsafe(chunkBytes));
      buffer = ring[turn % ring.length] as Buffer;
      turn++;
    }
    const bytesRead = fs.readSync(fd, buffer, 0, length, position);
    if (bytesRead === 0) return;
    position += bytesRead;
    yield bytesRead === buffer.length && reusedBuffers < 2 ? buffer : buffer.subarray(0, bytesRead);
  }
}

/** The stores whose blobs are files: keyed by knex's config, which transactions share. */
const registry = new WeakMap<object, BlobFiles>();

export function registerBlobFiles(knexConfig: object, files: BlobFiles): void {
  registry.set(knexConfig, files);
}

/** The blob files of the store `db` (or a transaction of it) uses; undefined: rows. */
export function blobFilesOf(db: { client: { config: object } }): BlobFiles | undefined {
  return registry.get(db.client.config);
}
