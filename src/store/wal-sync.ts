/**
 * Makes SQLite WAL commits durable off the event loop.
 *
 * With `synchronous = FULL` SQLite fsyncs the WAL inside COMMIT, on the calling thread: with
 * better-sqlite3 that is the event loop, blocked ~1–2 ms per commit. With `synchronous = NORMAL`
 * COMMIT only write()s the transaction's frames to the WAL (they survive a crash of the
 * process, since they are in the kernel's page cache, but not a power loss); an fdatasync of
 * the WAL file afterwards, here on libuv's thread pool, makes them durable exactly as FULL
 * would have. Frames are appended in commit order and each carries a checksum chained to the
 * ones before it, so recovery keeps a prefix of the commits: a sync covers every commit made
 * before it started, and no later commit can survive without the earlier ones.
 *
 * The file is opened for every sync rather than kept open: SQLite deletes and recreates the
 * WAL when its last connection closes, and an fsync through a stale descriptor would sync
 * nothing. If the file is gone, a checkpoint moved its frames into the database file and
 * fsynced that (SQLite does so with NORMAL too): nothing is left to sync.
 */
import { close, fdatasync, open } from "node:fs";

export class WalSync {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    readonly walPath: string,
    /** Flushes the file at a path (replaceable in tests). */
    private readonly syncPath: (path: string) => Promise<void> = fdatasyncPath,
  ) {}

  /** Resolves once everything written to the WAL before this call is on disk. */
  sync(): Promise<void> {
    if (!this.running) return this.start();
    // The running sync may have started before the caller's commit: one more after it, shared
    // by everyone who arrives meanwhile.
    this.queued ??= this.running
      .catch(() => {})
      .then(() => {
        this.queued = undefined;
        return this.start();
      });
    return this.queued;
  }

  private start(): Promise<void> {
    const run = this.syncPath(this.walPath).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}

/** fdatasync of the file at `path` on the thread pool; a file that does not exist is a no-op. */
export function fdatasyncPath(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    open(path, "r", (openError, fd) => {
      if (openError) {
        if (openError.code === "ENOENT") resolve();
        else reject(openError);
        return;
      }
      fdatasync(fd, (syncError) => {
        close(fd, () => (syncError ? reject(syncError) : resolve()));
      });
    });
  });
}
