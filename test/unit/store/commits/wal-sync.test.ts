// The WAL flush behind the group committer's acks: one flush at a time, and a caller arriving
// during a flush gets one that starts after it (its commit may not be covered by the running one).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WalSync } from "../../../../src/store/commits/wal-sync.js";

/** A flush the test completes by hand. */
class ManualFlushes {
  readonly started: { resolve(): void; reject(error: Error): void }[] = [];
  readonly flush = () =>
    new Promise<void>((resolve, reject) => this.started.push({ resolve, reject }));
}

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("WalSync", () => {
  it("starts a flush per call at once, without waiting for the one running", async () => {
    const flushes = new ManualFlushes();
    const sync = new WalSync("db-wal", flushes.flush);
    void sync.sync();
    void sync.sync();
    expect(flushes.started).toHaveLength(2);
  });

  it("settles a caller when its own flush or any later one completes", async () => {
    const flushes = new ManualFlushes();
    const sync = new WalSync("db-wal", flushes.flush);
    const order: string[] = [];
    const first = sync.sync().then(() => order.push("first"));
    const second = sync.sync().then(() => order.push("second"));
    const third = sync.sync().then(() => order.push("third"));

    // The second flush started after the first caller's writes: it covers them too.
    flushes.started[1]?.resolve();
    await Promise.all([first, second]);
    await settled();
    expect(order).toEqual(["first", "second"]);

    // The first flush completing later changes nothing; the third caller still waits for its own.
    flushes.started[0]?.resolve();
    await settled();
    expect(order).toEqual(["first", "second"]);
    flushes.started[2]?.resolve();
    await third;
    expect(order).toEqual(["first", "second", "third"]);
  });

  it("runs two flushes at most; later callers share the next one", async () => {
    const flushes = new ManualFlushes();
    const sync = new WalSync("db-wal", flushes.flush);
    const order: string[] = [];
    const calls = ["a", "b", "c", "d"].map((name) => sync.sync().then(() => order.push(name)));
    expect(flushes.started).toHaveLength(2);

    // A running flush completing settles its callers, not the queued ones (their writes may
    // postdate it), and starts one flush for all of them.
    flushes.started[1]?.resolve();
    await Promise.all(calls.slice(0, 2));
    await settled();
    expect(order).toEqual(["a", "b"]);
    expect(flushes.started).toHaveLength(3);

    flushes.started[2]?.resolve();
    await Promise.all(calls);
    expect(order).toEqual(["a", "b", "c", "d"]);
    flushes.started[0]?.resolve();
  });

  it("fails every caller waiting and every later sync once a flush failed, and tells once", async () => {
    const flushes = new ManualFlushes();
    const failures: unknown[] = [];
    const sync = new WalSync("db-wal", flushes.flush, (error) => failures.push(error));
    const calls = [sync.sync(), sync.sync(), sync.sync()]; // the third is queued
    flushes.started[1]?.reject(new Error("EIO"));
    for (const call of calls) await expect(call).rejects.toThrow("EIO");
    // A later flush may succeed without the pages the failed one lost: none is tried.
    flushes.started[0]?.resolve();
    await expect(sync.sync()).rejects.toThrow("EIO");
    expect(flushes.started).toHaveLength(2);
    expect(failures).toHaveLength(1);
  });
});

describe("WalSync on a file", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("flushes the file, keeps it open, and opens it again after close", async () => {
    dir = mkdtempSync(join(tmpdir(), "wal-sync-"));
    const path = join(dir, "db-wal");
    writeFileSync(path, "frames");
    const sync = new WalSync(path);
    await sync.sync();
    await sync.sync();
    await sync.close();
    await sync.sync();
    await sync.close();
  });

  it("fails for good when the file cannot be opened", async () => {
    dir = mkdtempSync(join(tmpdir(), "wal-sync-"));
    const path = join(dir, "db-wal");
    const sync = new WalSync(path);
    await expect(sync.sync()).rejects.toThrow(/ENOENT/);
    writeFileSync(path, "frames");
    await expect(sync.sync()).rejects.toThrow(/ENOENT/);
    await sync.close();
  });
});
