import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { StreamWriter } from "../../../src/transport/stream-writer.js";

/** An object-mode stream that buffers one message and completes writes when told to. */
function slowStream() {
  const pending: (() => void)[] = [];
  const stream = new Writable({
    objectMode: true,
    highWaterMark: 1,
    write(_chunk, _encoding, callback) {
      pending.push(() => callback());
    },
  }) as Writable & { cancelled?: boolean };
  const flush = () => {
    for (const done of pending.splice(0)) done();
  };
  return { stream, flush };
}

/** Completes the stream's writes, one message at a time, until `done` settles. */
async function flushUntil(done: Promise<unknown>, flush: () => void): Promise<void> {
  let settled = false;
  const watched = done.finally(() => {
    settled = true;
  });
  while (!settled) {
    flush();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await watched;
}

const events = ["drain", "close", "finish", "cancelled", "error"];
const listenerCounts = (stream: Writable) => events.map((e) => stream.listenerCount(e));

describe("StreamWriter", () => {
  it("adds no listener to an idle stream", () => {
    const { stream } = slowStream();
    const before = listenerCounts(stream);
    const writer = new StreamWriter(stream);
    expect(writer.isOpen).toBe(true);
    expect(listenerCounts(stream)).toEqual(before);
  });

  it("waits for 'drain' when the buffer is full, then removes its listeners", async () => {
    const { stream, flush } = slowStream();
    const before = listenerCounts(stream);
    const writer = new StreamWriter<string>(stream);
    let written = false;
    const write = writer.write("a").then(() => {
      written = true;
    });
    await Promise.resolve();
    expect(written).toBe(false);
    flush();
    await write;
    expect(written).toBe(true);
    expect(listenerCounts(stream)).toEqual(before);
    // Room again: the next write does not wait.
    const next = writer.write("b");
    flush();
    await next;
  });

  it("lets the writes waiting at once share one set of listeners", async () => {
    const { stream, flush } = slowStream();
    const before = listenerCounts(stream);
    const writer = new StreamWriter<number>(stream);
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    try {
      const writes = Array.from({ length: 30 }, (_, i) => writer.write(i));
      expect(listenerCounts(stream)).toEqual(before.map((count) => count + 1));
      await flushUntil(Promise.all(writes), flush);
      expect(listenerCounts(stream)).toEqual(before);
      // A later wait gets its own listeners again.
      const later = [writer.write(30), writer.write(31)];
      expect(listenerCounts(stream)).toEqual(before.map((count) => count + 1));
      await flushUntil(Promise.all(later), flush);
      expect(listenerCounts(stream)).toEqual(before);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("fails a write waiting for 'drain' once the stream is destroyed", async () => {
    const { stream } = slowStream();
    stream.on("error", () => {});
    const before = listenerCounts(stream);
    const writer = new StreamWriter<string>(stream);
    const write = writer.write("a");
    stream.destroy();
    await expect(write).rejects.toThrow("the stream closed while waiting to write");
    expect(listenerCounts(stream)).toEqual(before);
    expect(writer.isOpen).toBe(false);
  });

  it("fails a write waiting for 'drain' when the call is cancelled", async () => {
    const { stream } = slowStream();
    const writer = new StreamWriter<string>(stream);
    const write = writer.write("a");
    stream.cancelled = true;
    stream.emit("cancelled", "cancelled");
    await expect(write).rejects.toThrow("the stream closed while waiting to write");
    expect(writer.isOpen).toBe(false);
  });

  it("is closed, and refuses writes, once the stream ended, was destroyed or cancelled", async () => {
    for (const close of [
      (s: Writable & { cancelled?: boolean }) => s.end(),
      (s: Writable & { cancelled?: boolean }) => s.destroy(),
      (s: Writable & { cancelled?: boolean }) => {
        s.cancelled = true;
      },
    ]) {
      const { stream } = slowStream();
      const writer = new StreamWriter<string>(stream);
      close(stream);
      expect(writer.isOpen).toBe(false);
      await expect(writer.write("a")).rejects.toThrow("the stream is closed");
    }
  });
});
