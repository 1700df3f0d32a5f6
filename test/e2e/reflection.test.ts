// Server reflection over a real grpc-js server, checked the way grpcurl uses it: list
// services, fetch files by symbol and by name, build a registry from what was served, and call a
// method with a request built from JSON through that registry.
import { equals, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Client, credentials, type ServiceError, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  ServerReflectionClient,
  type ServerReflectionRequest,
} from "../../src/gen/grpc/reflection/v1/reflection.js";
import { ServerReflectionClient as ServerReflectionV1AlphaClient } from "../../src/gen/grpc/reflection/v1alpha/reflection.js";
import { embeddedDescriptorSet } from "../../src/transport/reflection/reflection-service.js";
import {
  errorOf,
  fetchFiles,
  fileProtos,
  listServices,
  reflectionStream,
  registryOf,
} from "../helpers/reflection-client.js";
import { standInServerPerDescribe } from "../helpers/stand-in-server.js";

describe("server reflection (e2e)", () => {
  const server = standInServerPerDescribe();
  const client = server.client;
  const insecure = credentials.createInsecure();

  it("lists our services, health and reflection", async () => {
    const stream = reflectionStream(client((a) => new ServerReflectionClient(a, insecure)));
    const names = await listServices(stream);
    expect(names).toEqual(
      expect.arrayContaining([
        "trainingcore.v1.PluginService",
        "trainingcore.v1.ProjectService",
        "trainingcore.v1.DatasetService",
        "trainingcore.v1.PrescriptionService",
        "trainingcore.v1.ModelService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]),
    );
    expect(names).toHaveLength(8);
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
        "google/protobuf/field_mask.proto",
        "google/protobuf/struct.proto",
        "google/protobuf/timestamp.proto",
        "grpc/health/v1/health.proto",
        "grpc/reflection/v1/reflection.proto",
        "grpc/reflection/v1alpha/reflection.proto",
        "trainingcore/v1/dataset_service.proto",
        "trainingcore/v1/definition.proto",
        "trainingcore/v1/model_service.proto",
        "trainingcore/v1/plugin_service.proto",
        "trainingcore/v1/prescription.proto",
        "trainingcore/v1/prescription_service.proto",
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
        "google/protobuf/field_mask.proto",
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
    expect(await listServices(stream)).toHaveLength(8);
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
});
