import type { Writable } from "node:stream";

/** Events after which a write waiting for 'drain' will never get it. */
const closeEvents = ["close", "finish", "cancelled", "error"] as const;

/**
 * Writes to a server stream with backpressure: `write` waits while the stream's buffer is full,
 * and fails instead of throwing "write after end" once the stream has closed.
 *
 * It holds no listener and no closure while the stream is idle (a core keeps thousands of idle
 * plugin streams): whether the stream is open is read from the stream itself, and listeners
 * are added only for the time a write waits for 'drain'.
 */
export class StreamWriter<T> {
  constructor(private readonly stream: Writable & { readonly cancelled?: boolean }) {}

  /** False once the stream ended, was destroyed or errored, or the call was cancelled. */
  get isOpen(): boolean {
    return this.stream.writable && this.stream.cancelled !== true;
  }

  async write(message: T): Promise<void> {
    if (!this.isOpen) throw new Error("the stream is closed");
    if (this.stream.write(message)) return;
    if (!this.isOpen) throw new Error("the stream closed while waiting to write");
    await drained(this.stream);
  }
}

function drained(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const settle = (closed: boolean) => {
      stream.off("drain", onDrain);
      for (const event of closeEvents) stream.off(event, onClose);
      if (closed) reject(new Error("the stream closed while waiting to write"));
      else resolve();
    };
    const onDrain = () => settle(false);
    const onClose = () => settle(true);
    stream.on("drain", onDrain);
    for (const event of closeEvents) stream.on(event, onClose);
  });
}
