/**
 * The bare grpc-js baseline of `idle-streams`, forked by it (never run by hand): a
 * PluginService server that acks every ConnectRequest at once and keeps each stream open,
 * with none of the core's work, in a process of its own so that its RSS is comparable to the
 * core's. `server options` are passed through, so the same settings can be measured on both.
 */
import {
  type ChannelOptions,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
} from "@grpc/grpc-js";
import {
  type ConnectRequest,
  type ConnectResponse,
  PluginServiceService,
} from "../src/gen/trainingcore/v1/plugin_service.js";

type Command = { type: "serve"; options: ChannelOptions } | { type: "memory" };

function reply(message: Record<string, unknown>): void {
  process.send?.(message);
}

let open = 0;

function serve(options: ChannelOptions): void {
  const server = new Server(options);
  server.addService(PluginServiceService, {
    connect: (call: ServerDuplexStream<ConnectRequest, ConnectResponse>) => {
      open++;
      call.on("data", (request: ConnectRequest) => {
        call.write({
          message: { $case: "ack", value: { sequence: request.sequence, code: 0, message: "" } },
        });
      });
      call.on("end", () => call.end());
      call.on("error", () => {});
      call.on("close", () => open--);
    },
  });
  server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
    if (error) reply({ type: "failed", error: String(error) });
    else reply({ type: "listening", port });
  });
}

process.on("message", (command: Command) => {
  switch (command.type) {
    case "serve":
      return serve(command.options);
    case "memory":
      return reply({ type: "memory", open, ...process.memoryUsage() });
  }
});
process.on("disconnect", () => process.exit(0));
