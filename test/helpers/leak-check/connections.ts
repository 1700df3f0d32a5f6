// Every outgoing connection and every listening server of this worker, unref'd ones included:
// grpc-js unrefs an idle channel's connection, which stays open until the client is closed.
import { Server, Socket } from "node:net";
import { patchOnce } from "./patch-once.js";

/** Starts tracking (once per worker); returns the connections that are not closed yet. */
export function trackConnections(): ReadonlySet<Socket> {
  return patchOnce(
    Socket.prototype,
    "connect",
    () => new Set<Socket>(),
    (original, open) =>
      function (this: Socket, ...args: unknown[]) {
        if (!open.has(this)) {
          open.add(this);
          this.once("close", () => open.delete(this));
        }
        return (original as (...a: unknown[]) => Socket).apply(this, args);
      } as Socket["connect"],
  );
}

/** Starts tracking (once per worker); returns the servers that are still listening. */
export function trackServers(): ReadonlySet<Server> {
  return patchOnce(
    Server.prototype,
    "listen",
    () => new Set<Server>(),
    (original, listening) =>
      function (this: Server, ...args: unknown[]) {
        if (!listening.has(this)) {
          listening.add(this);
          this.once("close", () => listening.delete(this));
        }
        return (original as (...a: unknown[]) => Server).apply(this, args);
      } as Server["listen"],
  );
}

export function describeSocket(socket: Socket): string {
  const kind = socket.constructor?.name ?? "Socket";
  if (socket.remoteAddress === undefined) {
    return socket.connecting ? `${kind} still connecting` : `${kind} (a pipe or not connected)`;
  }
  return (
    `${kind} from ${socket.localAddress}:${socket.localPort} ` +
    `to ${socket.remoteAddress}:${socket.remotePort}`
  );
}

export function describeServer(server: Server): string {
  const address = server.address();
  const where =
    typeof address === "string"
      ? address
      : address
        ? `${address.address}:${address.port}`
        : "no address yet";
  return `${server.constructor?.name ?? "Server"} listening on ${where}`;
}
