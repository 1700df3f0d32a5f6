// Server reflection and health over a real grpc-js server, checked the way grpcurl uses them:
// list services, fetch files by symbol and by name, build a registry from what was served,
// and call a method with a request built from JSON through that registry.
import {
  create,
  createFileRegistry,
  equals,
  fromBinary,
  fromJson,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import {
  Client,
  type ClientDuplexStream,
  credentials,
  type handleUnaryCall,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type ServiceError,
  status,
  type UntypedHandleCall,
} from "@grpc/grpc-js";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type HealthCheckResponse,
  HealthClient,
  HealthCheckResponse_ServingStatus as Serving,
} from "../../src/gen/grpc/health/v1/health.js";
import {
  ServerReflectionClient,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../../src/gen/grpc/reflection/v1/reflection.js";
import { ServerReflectionClient as ServerReflectionV1AlphaClient } from "../../src/gen/grpc/reflection/v1alpha/reflection.js";
import { DatasetServiceService } from "../../src/gen/trainingcore/v1/dataset_service.js";
import { PluginServiceService } from "../../src/gen/trainingcore/v1/plugin_service.js";
import { Project } from "../../src/gen/trainingcore/v1/project.js";
import {
  type CreateProjectRequest,
  type CreateProjectResponse,
  ProjectServiceService,
} from "../../src/gen/trainingcore/v1/project_service.js";
import { createHealth, type Health } from "../../src/transport/health/health-service.js";
import {
  addReflection,
  embeddedDescriptorSet,
  serviceNameOf,
} from "../../src/transport/reflection/reflection-service.js";

const ourServices = [PluginServiceService, ProjectServiceService, DatasetServiceService].map(
  serviceNameOf,
);

/** Handlers that answer UNIMPLEMENTED, standing in for the real services. */
function unimplemented(
  definition: ServiceDefinition,
  overrides: Record<string, UntypedHandleCall> = {},
) {
  const handler = (
    call: { emit(event: "error", error: Partial<ServiceError>): boolean },
    callback?: (error: Partial<ServiceError>) => void,
  ) => {
    const error = { code: status.UNIMPLEMENTED, details: "not implemented in this test" };
    if (callback) callback(error);
    else call.emit("error", error);
  };
  const handlers = Object.keys(definition).map((name) => [name, handler as UntypedHandleCall]);
  return { ...Object.fromEntries(handlers), ...overrides };
}

/** One reflection stream; `ask` sends a request and resolves with its response. */
function reflectionStream(client: {
  serverReflectionInfo(): ClientDuplexStream<ServerReflectionRequest, ServerReflectionResponse>;
}) {
  const stream = client.serverReflectionInfo();
  const waiting: Array<{
    resolve: (response: ServerReflectionResponse) => void;
    reject: (error: Error) => void;
  }> = [];
  stream.on("data", (response: ServerReflectionResponse) => waiting.shift()?.resolve(response));
  stream.on("error", (error: Error) => {
    for (const w of waiting.splice(0)) w.reject(error);
  });
  return {
    ask(messageRequest: ServerReflectionRequest["messageRequest"]) {
      return new Promise<ServerReflectionResponse>((resolve, reject) => {
        waiting.push({ resolve, reject });
        stream.write({ host: "", messageRequest });
      });
    },
    close: () => stream.end(),
  };
}

type Stream = ReturnType<typeof reflectionStream>;

function fileProtos(response: ServerReflectionResponse): FileDescriptorProto[] {
  const reply = response.messageResponse;
  if (reply?.$case !== "fileDescriptorResponse") {
    throw new Error(`expected files, got ${JSON.stringify(reply)}`);
  }
  return reply.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
}

function errorOf(response: ServerReflectionResponse) {
  const reply = response.messageResponse;
  if (reply?.$case !== "errorResponse") throw new Error(`expected error, got ${reply?.$case}`);
  return reply.value;
}

async function listServices(stream: Stream): Promise<string[]> {
  const reply = (await stream.ask({ $case: "listServices", value: "*" })).messageResponse;
  if (reply?.$case !== "listServicesResponse") throw new Error(`got ${reply?.$case}`);
  return reply.value.service.map((s) => s.name);
}

/** What grpcurl does: files by symbol, then every import by file name, until closed. */
async function fetchFiles(stream: Stream, symbols: string[]) {
  const files = new Map<string, FileDescriptorProto>();
  const keep = (protos: FileDescriptorProto[]) => {
    for (const file of protos) if (!files.has(file.name)) files.set(file.name, file);
  };
  for (const symbol of symbols) {
    const protos = fileProtos(await stream.ask({ $case: "fileContainingSymbol", value: symbol }));
    expect(protos[0]?.service.map((s) => `${protos[0]?.package}.${s.name}`)).toContain(symbol);
    keep(protos);
  }
  for (let missing = unresolved(files); missing.length > 0; missing = unresolved(files)) {
    for (const name of missing) {
      keep(fileProtos(await stream.ask({ $case: "fileByFilename", value: name })));
    }
  }
  return files;
}

function unresolved(files: Map<string, FileDescriptorProto>): string[] {
  const imports = [...files.values()].flatMap((file) => file.dependency);
  return [...new Set(imports)].filter((name) => !files.has(name));
}

/** A registry of the fetched files; a FileDescriptorSet must list imports before importers. */
function registryOf(files: Map<string, FileDescriptorProto>) {
  const ordered: FileDescriptorProto[] = [];
  const visit = (name: string) => {
    const file = files.get(name);
    if (!file || ordered.includes(file)) return;
    for (const dependency of file.dependency) visit(dependency);
    ordered.push(file);
  };
  for (const name of files.keys()) visit(name);
  return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered }));
}

describe("server reflection and health (e2e)", () => {
  let server: Server;
  let address: string;
  let health: Health;
  const clients: Client[] = [];
  const client = <T extends Client>(make: (address: string) => T): T => {
    const c = make(address);
    clients.push(c);
    return c;
  };
  const insecure = credentials.createInsecure();

  beforeAll(async () => {
    server = new Server();
    server.addService(PluginServiceService, unimplemented(PluginServiceService));
    server.addService(DatasetServiceService, unimplemented(DatasetServiceService));
    server.addService(
      ProjectServiceService,
      unimplemented(ProjectServiceService, {
        createProject: ((call, callback) => {
          const { request } = call;
          const project = Project.fromPartial({
            id: 7,
            name: request.name,
            description: JSON.stringify({
              csv: request.datasetCsv.toString(),
              holdout: request.holdoutFraction,
              parameters: request.parameters,
              additionalInfo: request.additionalInfo,
            }),
            pluginKeys: request.pluginKeys,
            createdAt: new Date("2024-01-02T03:04:05Z"),
          });
          callback(null, { project } satisfies CreateProjectResponse);
        }) satisfies handleUnaryCall<CreateProjectRequest, CreateProjectResponse>,
      }),
    );
    health = createHealth(ourServices);
    health.addToServer(server);
    addReflection(server, [...ourServices, "grpc.health.v1.Health"], pino({ level: "silent" }));
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      );
    });
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => {
    for (const c of clients) c.close();
    server?.forceShutdown();
  });

  it("lists our services, health and reflection", async () => {
    const stream = reflectionStream(client((a) => new ServerReflectionClient(a, insecure)));
    const names = await listServices(stream);
    expect(names).toEqual(
      expect.arrayContaining([
        "trainingcore.v1.PluginService",
        "trainingcore.v1.ProjectService",
        "trainingcore.v1.DatasetService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]),
    );
    expect(names).toHaveLength(6);
    stream.close();
  });

  for (const [version, make] of [
    ["v1", (a: string) => new ServerReflectionClient(a, insecure)],
    ["v1alpha", (a: string) => new ServerReflectionV1AlphaClient(a, insecure)],
  ] as const) {
    it(`serves complete descriptors that resolve in a registry (${version})`, async () => {
      const stream = reflectionStream(client(make));
      const names = await listServices(stream);
      const files = await fetchFiles(stream, names);
      expect([...files.keys()].sort()).toEqual([
        "google/protobuf/struct.proto",
        "google/protobuf/timestamp.proto",
        "grpc/health/v1/health.proto",
        "grpc/reflection/v1/reflection.proto",
        "grpc/reflection/v1alpha/reflection.proto",
        "trainingcore/v1/dataset_service.proto",
        "trainingcore/v1/definition.proto",
        "trainingcore/v1/plugin_service.proto",
        "trainingcore/v1/project.proto",
        "trainingcore/v1/project_service.proto",
      ]);
      // Each file is served by its own name, first, with its imports unmerged.
      for (const [name, file] of files) {
        const served = fileProtos(await stream.ask({ $case: "fileByFilename", value: name }));
        expect(served[0]?.name).toBe(name);
        expect(served[0]?.dependency).toEqual(file.dependency);
        expect(new Set(served.map((f) => f.name)).size).toBe(served.length);
      }
      expect(files.get("trainingcore/v1/project_service.proto")?.dependency).toEqual([
        "google/protobuf/struct.proto",
        "trainingcore/v1/definition.proto",
        "trainingcore/v1/project.proto",
      ]);

      const registry = registryOf(files);
      for (const name of names) {
        const service = registry.getService(name);
        expect(service, name).toBeDefined();
        for (const method of service?.methods ?? []) {
          expect(method.input.typeName).not.toBe("");
          expect(method.output.typeName).not.toBe("");
        }
      }
      const request = registry.getMessage("trainingcore.v1.CreateProjectRequest");
      for (const name of ["parameters", "additional_info"]) {
        const field = request?.fields.find((f) => f.name === name);
        expect(field?.fieldKind).toBe("map");
        if (field?.fieldKind !== "map" || field.mapKind !== "message") throw new Error(name);
        expect(field.message.typeName).toBe("google.protobuf.Struct");
      }
      const rawRequest = files
        .get("trainingcore/v1/project_service.proto")
        ?.messageType.find((m) => m.name === "CreateProjectRequest");
      expect(rawRequest?.nestedType.map((m) => [m.name, m.options?.mapEntry])).toEqual([
        ["ParametersEntry", true],
        ["AdditionalInfoEntry", true],
      ]);
      expect(
        registry.getMessage("trainingcore.v1.Project")?.field.createdAt?.message?.typeName,
      ).toBe("google.protobuf.Timestamp");
      // Source info travels too, so `grpcurl describe` shows the comments.
      const locations = files.get("trainingcore/v1/project_service.proto")?.sourceCodeInfo
        ?.location;
      expect(locations?.some((l) => l.leadingComments.includes("consumers' API"))).toBe(true);
      stream.close();
    });
  }

  it("serves every file of the embedded descriptor set unchanged", async () => {
    const stream = reflectionStream(client((a) => new ServerReflectionClient(a, insecure)));
    const embedded = fromBinary(FileDescriptorSetSchema, embeddedDescriptorSet());
    for (const file of embedded.file) {
      const response = await stream.ask({ $case: "fileByFilename", value: file.name });
      const reply = response.messageResponse;
      if (reply?.$case !== "fileDescriptorResponse") throw new Error(file.name);
      const served = fromBinary(
        FileDescriptorProtoSchema,
        reply.value.fileDescriptorProto[0] ?? [],
      );
      expect(equals(FileDescriptorProtoSchema, served, file), file.name).toBe(true);
    }
    stream.close();
  });

  it("finds methods, nested types, enums, enum values and fields by symbol", async () => {
    const stream = reflectionStream(client((a) => new ServerReflectionClient(a, insecure)));
    const cases: Array<[string, string]> = [
      ["trainingcore.v1.ProjectService.CreateProject", "trainingcore/v1/project_service.proto"],
      ["trainingcore.v1.CreateProjectRequest", "trainingcore/v1/project_service.proto"],
      [
        "trainingcore.v1.CreateProjectRequest.ParametersEntry",
        "trainingcore/v1/project_service.proto",
      ],
      [
        "trainingcore.v1.CreateProjectRequest.holdout_fraction",
        "trainingcore/v1/project_service.proto",
      ],
      ["trainingcore.v1.ConnectRequest.message", "trainingcore/v1/plugin_service.proto"],
      ["trainingcore.v1.ProjectStatus", "trainingcore/v1/project.proto"],
      ["trainingcore.v1.PROJECT_STATUS_TRAINED", "trainingcore/v1/project.proto"],
      ["grpc.health.v1.HealthCheckResponse.ServingStatus", "grpc/health/v1/health.proto"],
      ["grpc.health.v1.HealthCheckResponse.SERVING", "grpc/health/v1/health.proto"],
      ["google.protobuf.Struct", "google/protobuf/struct.proto"],
      [".trainingcore.v1.Project", "trainingcore/v1/project.proto"],
    ];
    for (const [symbol, file] of cases) {
      const response = await stream.ask({ $case: "fileContainingSymbol", value: symbol });
      expect(fileProtos(response)[0]?.name, symbol).toBe(file);
      expect(response.originalRequest?.messageRequest).toEqual({
        $case: "fileContainingSymbol",
        value: symbol,
      });
    }
    stream.close();
  });

  it("answers unknown names and extensions with NOT_FOUND on a stream that stays usable", async () => {
    const stream = reflectionStream(client((a) => new ServerReflectionClient(a, insecure)));
    const notFound = [
      { $case: "fileContainingSymbol", value: "trainingcore.v1.Nope" },
      { $case: "fileContainingSymbol", value: "trainingcore.v1" },
      { $case: "fileByFilename", value: "nope.proto" },
      {
        $case: "fileContainingExtension",
        value: { containingType: "trainingcore.v1.Project", extensionNumber: 100 },
      },
      { $case: "allExtensionNumbersOfType", value: "trainingcore.v1.Nope" },
    ] satisfies ServerReflectionRequest["messageRequest"][];
    for (const request of notFound) {
      expect(errorOf(await stream.ask(request)).errorCode).toBe(status.NOT_FOUND);
    }
    expect(errorOf(await stream.ask(undefined)).errorCode).toBe(status.INVALID_ARGUMENT);
    const numbers = await stream.ask({
      $case: "allExtensionNumbersOfType",
      value: "trainingcore.v1.Project",
    });
    expect(numbers.messageResponse).toEqual({
      $case: "allExtensionNumbersResponse",
      value: { baseTypeName: "trainingcore.v1.Project", extensionNumber: [] },
    });
    expect(await listServices(stream)).toContain("trainingcore.v1.ProjectService");
    stream.close();
  });

  it("survives a malformed request", async () => {
    const raw = client((a) => new Client(a, insecure));
    const identity = (b: Buffer) => b;
    const call = raw.makeBidiStreamRequest(
      "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
      identity,
      identity,
    );
    const failure = new Promise<ServiceError>((resolve) => call.on("error", resolve));
    call.on("data", () => undefined);
    // Field 3 (file_by_filename) claims 127 bytes but the message ends after one.
    call.write(Buffer.from([0x1a, 0x7f, 0x61]));
    expect((await failure).code).not.toBe(status.OK);
    const stream = reflectionStream(client((a) => new ServerReflectionClient(a, insecure)));
    expect(await listServices(stream)).toHaveLength(6);
    stream.close();
  });

  it("invokes CreateProject with a request built from JSON through reflection, like grpcurl", async () => {
    const stream = reflectionStream(client((a) => new ServerReflectionClient(a, insecure)));
    const files = await fetchFiles(stream, ["trainingcore.v1.ProjectService"]);
    stream.close();
    const registry = registryOf(files);
    const method = registry.getService("trainingcore.v1.ProjectService")?.method.createProject;
    if (!method) throw new Error("no CreateProject");
    const json = {
      name: "demo",
      datasetCsv: Buffer.from("case,activity\n1,a\n").toString("base64"),
      holdoutFraction: 0.25,
      pluginKeys: ["plugin-a"],
      parameters: { "plugin-a": { k: 3, nested: { deep: [true, "x"] } } },
      additionalInfo: { "plugin-a": { note: "hello" } },
    };
    const message = fromJson(method.input, json, { registry });
    const bytes = await new Promise<Buffer>((resolve, reject) => {
      const identity = (b: Buffer) => b;
      client((a) => new Client(a, insecure)).makeUnaryRequest(
        `/${method.parent.typeName}/${method.name}`,
        identity,
        identity,
        Buffer.from(toBinary(method.input, message)),
        (error, response) => (error || !response ? reject(error) : resolve(response)),
      );
    });
    const response = toJson(method.output, fromBinary(method.output, bytes), { registry }) as {
      project: { id: string; name: string; description: string; createdAt: string };
    };
    expect(response.project).toMatchObject({
      id: "7",
      name: "demo",
      createdAt: "2024-01-02T03:04:05Z",
      pluginKeys: ["plugin-a"],
    });
    expect(JSON.parse(response.project.description)).toEqual({
      csv: "case,activity\n1,a\n",
      holdout: 0.25,
      parameters: json.parameters,
      additionalInfo: json.additionalInfo,
    });
  });

  it("reports NOT_SERVING until setServing(true), for Check and Watch", async () => {
    const healthClient = client((a) => new HealthClient(a, insecure));
    const check = (service: string) =>
      new Promise<HealthCheckResponse>((resolve, reject) => {
        healthClient.check({ service }, (error, response) =>
          error ? reject(error) : resolve(response),
        );
      });
    expect((await check("")).status).toBe(Serving.NOT_SERVING);
    expect((await check("trainingcore.v1.ProjectService")).status).toBe(Serving.NOT_SERVING);
    await expect(check("trainingcore.v1.Nope")).rejects.toMatchObject({ code: status.NOT_FOUND });

    const watch = healthClient.watch({ service: "" });
    const unknownWatch = healthClient.watch({ service: "trainingcore.v1.Nope" });
    const seen: Serving[] = [];
    const next = (stream: typeof watch) =>
      new Promise<Serving>((resolve) =>
        stream.once("data", (r: HealthCheckResponse) => resolve(r.status)),
      );
    watch.on("data", (r: HealthCheckResponse) => seen.push(r.status));
    watch.on("error", () => undefined);
    unknownWatch.on("error", () => undefined);
    expect(await next(unknownWatch)).toBe(Serving.SERVICE_UNKNOWN);
    await expect.poll(() => seen).toEqual([Serving.NOT_SERVING]);

    health.setServing(true);
    health.setServing(true);
    await expect.poll(() => seen).toEqual([Serving.NOT_SERVING, Serving.SERVING]);
    expect((await check("")).status).toBe(Serving.SERVING);
    expect((await check("trainingcore.v1.DatasetService")).status).toBe(Serving.SERVING);

    const listed = await new Promise<Record<string, HealthCheckResponse>>((resolve, reject) => {
      healthClient.list({}, (error, response) =>
        error ? reject(error) : resolve(response.statuses),
      );
    });
    expect(Object.keys(listed).sort()).toEqual(["", ...ourServices].sort());

    const ended = new Promise<void>((resolve) => watch.on("end", resolve));
    health.close();
    await ended;
    expect(seen).toEqual([Serving.NOT_SERVING, Serving.SERVING, Serving.NOT_SERVING]);
    expect((await check("")).status).toBe(Serving.NOT_SERVING);
    health.setServing(true);
    expect((await check("")).status).toBe(Serving.NOT_SERVING);
    unknownWatch.cancel();
  });
});
