/**
 * Makes SQLite WAL commits durable off the event loop.
 *
 * With `synchronous = FULL` SQLite fsyncs the WAL inside COMMIT, on the calling thread: with
 * better-sqlite3 that is the event loop, blocked for the whole flush. With `synchronous = NORMAL`
 * COMMIT only write()s the transaction's frames to the WAL (they survive a crash of the
 * process, since they are in the kernel's page cache, but not a power loss); an fdatasync of
 * the WAL file afterwards, here on libuv's thread pool, makes them durable exactly as FULL
 * would have. Frames are appended in commit order and each carries a checksum chained to the
 * ones before it, so recovery keeps a prefix of the commits: a sync covers every commit made
 * before it started, and no later commit can survive without the earlier ones.
 *
 * A failed flush fails every sync after it, for good: after an fsync error the kernel may have
 * dropped the pages it could not write, and a later fsync can succeed without them; a later
 * commit would then be acknowledged although recovery, which stops at the first missing frame,
 * would not keep it. The store must be reopened (the core restarted) to go on.
 *
 * The WAL stays open here (one thread-pool hop per sync instead of three). The descriptor
 * stays valid because it belongs to one connection (see `PipelinedCommits`) that is open
 * throughout: SQLite deletes the WAL only when its last connection closes, and truncating it
 * keeps the file. It is closed with the store.
 */
import { close, fdatasync, open } from "node:fs";

type Waiter = { gen: number; resolve(): void; reject(error: unknown): void };

/** Flushes running at once, at most (the rest share the next one): thread-pool threads used. */
const maxFlushesInFlight = 2;

export class WalSync {
  private started = 0;
  private inFlight = 0;
  private readonly waiting: Waiter[] = [];
  /** Callers who arrived while `maxFlushesInFlight` ran: the next flush is theirs. */
  private queued: Waiter[] = [];
  private fd: Promise<number> | undefined;
  /** The error of the flush that failed, once one did. */
  private failure: { readonly error: unknown } | undefined;

  constructor(
    readonly walPath: string,
    /** Flushes the WAL (replaceable in tests). */
    private readonly flush: () => Promise<void> = () => this.fdatasync(),
    /** Told once, when a flush fails. */
    private readonly onFailure: (error: unknown) => void = () => {},
  ) {}

  /**
   * Resolves once everything written to the WAL before this call is on disk. A caller gets a
   * flush of its own at once (one already running may have started before its commit, and
   * waiting for it first would double the latency) unless two run already; then it shares the
   * next one with everyone who arrives meanwhile. A flush that completes also settles the
   * callers before it, since it covers their writes too.
   */
  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { gen: 0, resolve, reject };
      this.waiting.push(waiter);
      if (this.inFlight < maxFlushesInFlight) this.start([waiter]);
      else this.queued.push(waiter);
    });
  }

  private start(waiters: readonly Waiter[]): void {
    const gen = ++this.started;
    for (const waiter of waiters) waiter.gen = gen;
    this.inFlight++;
    this.flush().then(
      () => this.finished((waiter) => waiter.gen !== 0 && waiter.gen <= gen),
      (error: unknown) => this.failed(error),
    );
  }

  private failed(error: unknown): void {
    this.inFlight--;
    if (this.failure) return;
    this.failure = { error };
    const waiting = this.waiting.splice(0); // the queued ones too
    this.queued = [];
    for (const waiter of waiting) waiter.reject(error);
    this.onFailure(error);
  }

  private finished(covered: (waiter: Waiter) => boolean): void {
    this.inFlight--;
    if (this.failure) return;
    this.settle(covered);
    if (this.queued.length > 0) {
      const next = this.queued;
      this.queued = [];
      this.start(next);
    }
  }

  /** Closes the WAL's descriptor (the store is closing); a later sync opens it again. */
  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    const opened = await fd?.catch(() => undefined);
    if (opened !== undefined) await new Promise((resolve) => close(opened, resolve));
  }

  private async fdatasync(): Promise<void> {
    this.fd ??= new Promise<number>((resolve, reject) =>
      open(this.walPath, "r", (error, fd) => (error ? reject(error) : resolve(fd))),
    );
    const fd = await this.fd;
    await new Promise<void>((resolve, reject) =>
      fdatasync(fd, (error) => (error ? reject(error) : resolve())),
    );
  }

  private settle(covered: (waiter: Waiter) => boolean): void {
    // Queued callers (gen 0) are not covered: their writes may postdate every running flush.
    for (let i = 0; i < this.waiting.length; ) {
      const waiter = this.waiting[i] as Waiter;
      if (!covered(waiter)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      waiter.resolve();
    }
  }
}
