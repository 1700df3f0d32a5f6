/**
 * A temporary file of text written once, front to back, then read back (as often as needed) in
 * chunks of bytes: the scratch space of a reader that must see the whole of its input before it
 * can hand on the first row (the XES reader keeps its events here while it learns the columns).
 * Writes are buffered into large appends; memory holds one buffer, whatever the file's size.
 *
 * The file is scratch: no syncs, in a directory of its own, deleted on `close`.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Text gathered before one write: large enough that system calls cost nothing. */
const WRITE_CHARS = 1 << 20;
/** The bytes of one chunk read back. */
const READ_BYTES = 1 << 20;

export class SpoolFile {
  private pending = "";
  private closed = false;
  /** Bytes written so far. */
  bytes = 0;

  private constructor(
    private readonly fd: number,
    private readonly dir: string,
  ) {}

  /** Creates the file in a new directory under `parentDir` (the OS temp directory by default). */
  static create(parentDir: string = tmpdir()): SpoolFile {
    let dir: string;
    try {
      dir = mkdtempSync(join(parentDir, "training-core-spool-"));
    } catch (error) {
      throw new Error(
        `cannot create the temporary file that holds an event log's rows in ${parentDir}: ` +
          `${(error as Error).message}; make the directory writable, or give another one`,
        { cause: error },
      );
    }
    try {
      return new SpoolFile(openSync(join(dir, "spool"), "w+"), dir);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Appends `text` (UTF-8 in the file). */
  append(text: string): void {
    this.pending += text;
    if (this.pending.length >= WRITE_CHARS) this.writePending();
  }

  /** Writes what `append` still holds; call before reading. */
  flush(): void {
    if (this.pending.length > 0) this.writePending();
  }

  /** The file from its start, in chunks of up to 1 MiB (each a fresh buffer). */
  *chunks(): Generator<Buffer, void, undefined> {
    this.flush();
    let position = 0;
    while (position < this.bytes) {
      const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, this.bytes - position));
      const read = readSync(this.fd, buffer, 0, buffer.length, position);
      if (read === 0) throw new Error("the spool file ended early");
      position += read;
      yield read === buffer.length ? buffer : buffer.subarray(0, read);
    }
  }

  /** Closes and deletes the file; safe to call more than once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private writePending(): void {
    const buffer = Buffer.from(this.pending, "utf8");
    this.pending = "";
    let at = 0;
    while (at < buffer.length) {
      at += writeSync(this.fd, buffer, at, buffer.length - at, this.bytes + at);
    }
    this.bytes += buffer.length;
  }
}
