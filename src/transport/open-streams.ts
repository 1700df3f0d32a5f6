import type { EventEmitter } from "node:events";
import { status as grpcStatus } from "@grpc/grpc-js";

/**
 * Long-lived calls (plugin streams, project watches) still open. Before shutdown they are ended
 * with UNAVAILABLE, so clients know to reconnect (to this core once restarted, or another one).
 */
export class OpenStreams {
  private readonly calls = new Set<EventEmitter>();

  add(call: EventEmitter): () => void {
    this.calls.add(call);
    return () => this.calls.delete(call);
  }

  get size(): number {
    return this.calls.size;
  }

  endAll(details: string): void {
    for (const call of this.calls) {
      call.emit("error", { code: grpcStatus.UNAVAILABLE, details, message: details });
    }
    this.calls.clear();
  }
}
