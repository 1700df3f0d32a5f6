import { once } from "node:events";
import type { Writable } from "node:stream";

/**
 * Writes to a server stream with backpressure: `write` waits while the stream's buffer is full,
 * and fails instead of throwing "write after end" once the stream has closed.
 */
export class StreamWriter<T> {
  private closed = false;
  private readonly closedSignal = new AbortController();

  constructor(private readonly stream: Writable) {
    const markClosed = () => {
      this.closed = true;
      this.closedSignal.abort();
    };
    for (const event of ["close", "finish", "cancelled", "error"]) stream.once(event, markClosed);
  }

  get isOpen(): boolean {
    return !this.closed && this.stream.writable;
  }

  async write(message: T): Promise<void> {
    if (!this.isOpen) throw new Error("the stream is closed");
    if (this.stream.write(message)) return;
    await once(this.stream, "drain", { signal: this.closedSignal.signal }).catch(() => {
      throw new Error("the stream closed while waiting to write");
    });
  }
}
