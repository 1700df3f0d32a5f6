// The WAL flush behind the group committer's acks: one flush at a time, and a caller arriving
// during a flush gets one that starts after it (its commit may not be covered by the running one).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fdatasyncPath, WalSync } from "../../../src/store/wal-sync.js";

/** A flush the test completes by hand. */
class ManualFlushes {
  readonly started: { resolve(): void; reject(error: Error): void }[] = [];
  readonly flush = (_path: string) =>
    new Promise<void>((resolve, reject) => this.started.push({ resolve, reject }));
}

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("WalSync", () => {
  it("runs one flush at a time and one more for everyone who arrived during it", async () => {
    const flushes = new ManualFlushes();
    const sync = new WalSync("db-wal", flushes.flush);
    const order: string[] = [];
    const first = sync.sync().then(() => order.push("first"));
    const second = sync.sync().then(() => order.push("second"));
    const third = sync.sync().then(() => order.push("third"));
    await settled();
    expect(flushes.started).toHaveLength(1);

    flushes.started[0]?.resolve();
    await first;
    await settled();
    expect(order).toEqual(["first"]); // the others' commits may postdate the first flush
    expect(flushes.started).toHaveLength(2);

    flushes.started[1]?.resolve();
    await Promise.all([second, third]);
    expect(order).toEqual(["first", "second", "third"]);
    expect(flushes.started).toHaveLength(2);
  });

  it("starts at once when no flush runs", async () => {
    const flushes = new ManualFlushes();
    const sync = new WalSync("db-wal", flushes.flush);
    const first = sync.sync();
    flushes.started[0]?.resolve();
    await first;
    const next = sync.sync();
    expect(flushes.started).toHaveLength(2);
    flushes.started[1]?.resolve();
    await next;
  });

  it("fails the callers of a failed flush, and flushes again for the next", async () => {
    const flushes = new ManualFlushes();
    const sync = new WalSync("db-wal", flushes.flush);
    const failed = sync.sync();
    const queued = sync.sync();
    flushes.started[0]?.reject(new Error("EIO"));
    await expect(failed).rejects.toThrow("EIO");
    await settled();
    expect(flushes.started).toHaveLength(2); // the queued caller still gets its own flush
    flushes.started[1]?.resolve();
    await queued;
  });
});

describe("fdatasyncPath", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("flushes an existing file, and treats a missing one (checkpointed away) as flushed", async () => {
    dir = mkdtempSync(join(tmpdir(), "wal-sync-"));
    const path = join(dir, "db-wal");
    writeFileSync(path, "frames");
    await expect(fdatasyncPath(path)).resolves.toBeUndefined();
    await expect(fdatasyncPath(join(dir, "gone-wal"))).resolves.toBeUndefined();
  });

  it("reports other errors", async () => {
    dir = mkdtempSync(join(tmpdir(), "wal-sync-"));
    writeFileSync(join(dir, "file"), "");
    await expect(fdatasyncPath(join(dir, "file", "child"))).rejects.toThrow(/ENOTDIR/);
  });
});
