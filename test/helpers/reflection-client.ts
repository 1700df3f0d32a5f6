// A reflection client used the way grpcurl uses one: list services, fetch files by symbol and
// then every import by name, and build a registry from what was served.
import { create, createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import type { ClientDuplexStream } from "@grpc/grpc-js";
import { expect } from "vitest";
import type {
  ServerReflectionRequest,
  ServerReflectionResponse,
} from "../../src/gen/grpc/reflection/v1/reflection.js";

/** One reflection stream; `ask` sends a request and resolves with its response. */
export function reflectionStream(client: {
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

export type Stream = ReturnType<typeof reflectionStream>;

export function fileProtos(response: ServerReflectionResponse): FileDescriptorProto[] {
  const reply = response.messageResponse;
  if (reply?.$case !== "fileDescriptorResponse") {
    throw new Error(`expected files, got ${JSON.stringify(reply)}`);
  }
  return reply.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b));
}

export function errorOf(response: ServerReflectionResponse) {
  const reply = response.messageResponse;
  if (reply?.$case !== "errorResponse") throw new Error(`expected error, got ${reply?.$case}`);
  return reply.value;
}

export async function listServices(stream: Stream): Promise<string[]> {
  const reply = (await stream.ask({ $case: "listServices", value: "*" })).messageResponse;
  if (reply?.$case !== "listServicesResponse") throw new Error(`got ${reply?.$case}`);
  return reply.value.service.map((s) => s.name);
}

/** What grpcurl does: files by symbol, then every import by file name, until closed. */
export async function fetchFiles(stream: Stream, symbols: string[]) {
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
export function registryOf(files: Map<string, FileDescriptorProto>) {
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
