import type { Writable } from "node:stream";

/** Events after which a write waiting for 'drain' will never get it. */
const closeEvents = ["close", "finish", "cancelled", "error"] as const;

/**
 * Writes to a server stream with backpressure: `write` waits while the stream's buffer is full,
 * and fails instead of throwing "write after end" once the stream has closed.
 *
 * It holds no listener and no closure while the stream is idle (a core keeps thousands of idle
 * plugin streams): whether the stream is open is read from the stream itself, and listeners
 * are added only for the time a write waits for 'drain'. The writes waiting at once (acks and
 * TrainingData) share one wait: a set of listeners each would pass Node's limit of 10 per
 * event, and every time they did, a MaxListenersExceededWarning (an Error and a line on
 * stderr) would cost CPU on the report path.
 */
export class StreamWriter<T> {
  /** The wait for 'drain' while writes wait for it. */
  private waiting: Promise<void> | undefined;

  constructor(private readonly stream: Writable & { readonly cancelled?: boolean }) {}

  /** False once the stream ended, was destroyed or errored, or the call was cancelled. */
  get isOpen(): boolean {
    return this.stream.writable && this.stream.cancelled !== true;
  }

  async write(message: T): Promise<void> {
    if (!this.isOpen) throw new Error("the stream is closed");
    if (this.stream.write(message)) return;
    if (!this.isOpen) throw new Error("the stream closed while waiting to write");
    this.waiting ??= drained(this.stream).finally(() => {
      this.waiting = undefined;
    });
    await this.waiting;
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
