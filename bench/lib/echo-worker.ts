/**
 * The ceiling: bare grpc-js with the same messages as the core and none of its work. A bidi
 * server that acks every ConnectRequest at once, a unary server that answers CreateProject
 * with a fixed Project, and their clients. Forked by the benchmarks, one role per process.
 */
import {
  type ClientDuplexStream,
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type ServerDuplexStream,
} from "@grpc/grpc-js";
import {
  type ConnectRequest,
  type ConnectResponse,
  PluginServiceClient,
  PluginServiceService,
} from "../../src/gen/trainingcore/v1/plugin_service.js";
import { Project } from "../../src/gen/trainingcore/v1/project.js";
import {
  ProjectServiceClient,
  ProjectServiceService,
} from "../../src/gen/trainingcore/v1/project_service.js";
import { createProjectRequest } from "../../test/helpers/projects.js";

type Command =
  | { type: "echo-server" }
  | { type: "unary-server" }
  | { type: "echo-client"; address: string; streams: number; window: number; durationMs: number }
  | { type: "unary-client"; address: string; iterations: number };

function reply(message: Record<string, unknown>): void {
  process.send?.(message);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
}

async function echoServer(): Promise<void> {
  const server = new Server();
  server.addService(PluginServiceService, {
    connect: (call: ServerDuplexStream<ConnectRequest, ConnectResponse>) => {
      call.on("data", (request: ConnectRequest) => {
        call.write({
          message: { $case: "ack", value: { sequence: request.sequence, code: 0, message: "" } },
        });
      });
      call.on("end", () => call.end());
      call.on("error", () => {});
    },
  });
  reply({ type: "listening", port: await listen(server) });
}

async function unaryServer(): Promise<void> {
  const server = new Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
  const now = new Date();
  server.addService(ProjectServiceService, {
    createProject: (_call: unknown, callback: (e: null, r: unknown) => void) =>
      callback(null, {
        project: Project.fromPartial({
          id: 1,
          name: "test project",
          status: 1,
          createdAt: now,
          updatedAt: now,
          pluginKeys: ["bench-latency"],
        }),
      }),
  } as never);
  reply({ type: "listening", port: await listen(server) });
}

/** `streams` streams (one connection each), each keeping `window` requests unanswered. */
async function echoClient(address: string, streams: number, window: number, durationMs: number) {
  let acked = 0;
  let measuring = false;
  let stopping = false;
  const calls: ClientDuplexStream<ConnectRequest, ConnectResponse>[] = [];
  const clients: PluginServiceClient[] = [];
  for (let s = 0; s < streams; s++) {
    const client = new PluginServiceClient(address, credentials.createInsecure(), {
      "grpc.use_local_subchannel_pool": 1,
    });
    clients.push(client);
    const call = client.connect(new Metadata());
    calls.push(call);
    let sequence = 0;
    const send = () =>
      call.write({
        sequence: ++sequence,
        message: {
          $case: "dataReport",
          value: { projectId: 123_456, pluginId: 7_654_321, applicable: true },
        },
      });
    call.on("data", () => {
      if (measuring) acked++;
      if (!stopping) send();
    });
    call.on("error", () => {});
    for (let i = 0; i < window; i++) send();
  }
  const warmupMs = Math.min(1000, durationMs / 4);
  await new Promise((resolve) => setTimeout(resolve, warmupMs));
  measuring = true;
  reply({ type: "echo-measuring" });
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  const seconds = (performance.now() - started) / 1000;
  measuring = false;
  stopping = true;
  for (const call of calls) call.end();
  for (const client of clients) client.close();
  reply({ type: "echo-result", messages: acked, seconds });
}

async function unaryClient(address: string, iterations: number): Promise<void> {
  const client = new ProjectServiceClient(address, credentials.createInsecure());
  const request = createProjectRequest();
  const samples: number[] = [];
  const warmup = Math.min(100, iterations);
  for (let i = 0; i < warmup + iterations; i++) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) =>
      client.createProject(request, (error) => (error ? reject(error) : resolve())),
    );
    if (i >= warmup) samples.push(performance.now() - started);
  }
  client.close();
  reply({ type: "unary-result", samples });
}

process.on("message", (command: Command) => {
  const run = async () => {
    switch (command.type) {
      case "echo-server":
        return echoServer();
      case "unary-server":
        return unaryServer();
      case "echo-client":
        return echoClient(command.address, command.streams, command.window, command.durationMs);
      case "unary-client":
        return unaryClient(command.address, command.iterations);
    }
  };
  run().catch((error: unknown) => {
    console.error(error);
    reply({ type: "failed", error: String(error) });
    process.exit(1);
  });
});
process.on("disconnect", () => process.exit(0));
