// Connections a test file may leave open because a library leaks them, not our code: each
// tolerated by the peer's address and with the reason, for the current file only.
import type { Socket } from "node:net";

const key = Symbol.for("training-core.leak-check.tolerated");

interface Tolerated {
  /** host:port of the peer. */
  readonly address: string;
  readonly reason: string;
}

const registry = globalThis as { [key]?: Tolerated[] };

/** Forgets what an earlier file of this worker tolerated (the setup file calls it per file). */
export function resetTolerated(): void {
  registry[key] = [];
}

/** Lets the current file leave connections to `address` open; `reason` names the library bug. */
export function tolerateConnectionsTo(address: string, reason: string): void {
  registry[key] = [...(registry[key] ?? []), { address, reason }];
}

export function isTolerated(socket: Socket): boolean {
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  return (registry[key] ?? []).some((t) => t.address === peer);
}
