import type { EventEmitter } from "node:events";
import { AppError } from "../domain/errors.js";
import { endCall, grpcStatusOf } from "./grpc-errors.js";

/**
 * Long-lived calls (plugin streams, project watches) still open. Before shutdown they are ended
 * with UNAVAILABLE, so clients know to reconnect (to this core once restarted, or another one).
 */
export class OpenStreams {
  private readonly calls = new Set<EventEmitter>();
  private closingDetails: string | undefined;

  /**
   * Tracks a call until `remove`; once `endAll` ran, a call that arrives late is ended at once.
   * (No closure per call: a core holds thousands of idle plugin streams.)
   */
  add(call: EventEmitter): void {
    if (this.closingDetails !== undefined) {
      const details = this.closingDetails;
      queueMicrotask(() => unavailable(call, details));
      return;
    }
    this.calls.add(call);
  }

  remove(call: EventEmitter): void {
    this.calls.delete(call);
  }

  get size(): number {
    return this.calls.size;
  }

  endAll(details: string): void {
    this.closingDetails = details;
    for (const call of this.calls) unavailable(call, details);
    this.calls.clear();
  }
}

function unavailable(call: EventEmitter, details: string): void {
  endCall(call, grpcStatusOf(new AppError("UNAVAILABLE", details)));
}
