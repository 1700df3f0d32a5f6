import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import {
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import type { Server, ServerDuplexStream, ServiceDefinition } from "@grpc/grpc-js";
import { AppError } from "../../domain/errors.js";
import { descriptorSetBase64 } from "../../gen/descriptor-set.js";
import {
  ServerReflectionService as ReflectionV1,
  type ServerReflectionRequest,
  type ServerReflectionResponse,
} from "../../gen/grpc/reflection/v1/reflection.js";
import { ServerReflectionService as ReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection.js";
import type { Logger } from "../../logger.js";
import { type GrpcStatus, toGrpcStatus } from "../grpc-errors.js";

/** The FileDescriptorSet built by `buf` (proto/ and third_party/proto/, with all imports). */
export function embeddedDescriptorSet(): Uint8Array {
  return Buffer.from(descriptorSetBase64, "base64");
}

/** The fully-qualified name of a service, e.g. `trainingcore.v1.ProjectService`. */
export function serviceNameOf(definition: ServiceDefinition): string {
  const method = Object.values(definition)[0];
  const name = method?.path.split("/")[1];
  if (!name) throw new Error("service definition has no methods");
  return name;
}

/** The reflection services themselves, always listed. */
const reflectionServices = [ReflectionV1, ReflectionV1Alpha].map(serviceNameOf);

/**
 * Adds `grpc.reflection.v1.ServerReflection` and `grpc.reflection.v1alpha.ServerReflection`
 * to `server`. `services` are the fully-qualified names listed by `list_services` (the
 * reflection services are added to them); every one must be declared in `descriptorSet`.
 * Files are served exactly as they are in `descriptorSet`, each with its transitive imports.
 * A request that cannot be answered gets an ErrorResponse with the status it would fail with.
 */
export function addReflection(
  server: Server,
  services: readonly string[],
  logger: Logger,
  descriptorSet: Uint8Array = embeddedDescriptorSet(),
): void {
  const index = indexDescriptorSet(descriptorSet);
  const listed = [...new Set([...services, ...reflectionServices])].sort();
  for (const name of listed) {
    if (index.services.has(name)) continue;
    throw new Error(`service ${name} is not in the descriptor set`);
  }
  const handler = reflectionHandler(index, listed, logger);
  server.addService(ReflectionV1, { serverReflectionInfo: handler });
  server.addService(ReflectionV1Alpha, { serverReflectionInfo: handler });
}

interface DescriptorIndex {
  /** File name → the file's serialized FileDescriptorProto and its direct imports. */
  files: Map<string, { bytes: Buffer; imports: string[] }>;
  /** Fully-qualified symbol (without leading dot) → name of the declaring file. */
  symbols: Map<string, string>;
  messages: Set<string>;
  services: Set<string>;
  /** Extendee message → extension field number → name of the declaring file. */
  extensions: Map<string, Map<number, string>>;
}

function indexDescriptorSet(descriptorSet: Uint8Array): DescriptorIndex {
  const index: DescriptorIndex = {
    files: new Map(),
    symbols: new Map(),
    messages: new Set(),
    services: new Set(),
    extensions: new Map(),
  };
  for (const bytes of fileDescriptorBytes(descriptorSet)) {
    const file = fromBinary(FileDescriptorProtoSchema, bytes);
    index.files.set(file.name, { bytes: Buffer.from(bytes), imports: file.dependency });
    const add = (name: string) => index.symbols.set(name, file.name);
    const addExtension = (extension: FieldDescriptorProto, scope: string) => {
      add(scope + extension.name);
      const extendee = extension.extendee.replace(/^\./, "");
      const numbers = index.extensions.get(extendee) ?? new Map<number, string>();
      numbers.set(extension.number, file.name);
      index.extensions.set(extendee, numbers);
    };
    const addEnum = (enumType: EnumDescriptorProto, scope: string) => {
      add(scope + enumType.name);
      // Enum values are scoped like siblings of their enum, as in protobuf.
      for (const value of enumType.value) add(scope + value.name);
    };
    const addMessage = (message: DescriptorProto, scope: string) => {
      const name = scope + message.name;
      add(name);
      index.messages.add(name);
      for (const field of message.field) add(`${name}.${field.name}`);
      for (const oneof of message.oneofDecl) add(`${name}.${oneof.name}`);
      for (const extension of message.extension) addExtension(extension, `${name}.`);
      for (const nested of message.nestedType) addMessage(nested, `${name}.`);
      for (const enumType of message.enumType) addEnum(enumType, `${name}.`);
    };
    const scope = file.package ? `${file.package}.` : "";
    for (const message of file.messageType) addMessage(message, scope);
    for (const enumType of file.enumType) addEnum(enumType, scope);
    for (const extension of file.extension) addExtension(extension, scope);
    for (const service of file.service) {
      add(scope + service.name);
      index.services.add(scope + service.name);
      for (const method of service.method) add(`${scope}${service.name}.${method.name}`);
    }
  }
  return index;
}

/** The `file` entries (field 1) of a serialized FileDescriptorSet, byte for byte. */
function fileDescriptorBytes(descriptorSet: Uint8Array): Uint8Array[] {
  const reader = new BinaryReader(descriptorSet);
  const files: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === 1 && wireType === WireType.LengthDelimited) files.push(reader.bytes());
    else reader.skip(wireType, fieldNo);
  }
  return files;
}

type Reply = ServerReflectionResponse["messageResponse"];

function reflectionHandler(index: DescriptorIndex, services: readonly string[], logger: Logger) {
  return (call: ServerDuplexStream<ServerReflectionRequest, ServerReflectionResponse>) => {
    call.on("data", (request: ServerReflectionRequest) => {
      let reply: Reply;
      try {
        reply = answer(index, services, request);
      } catch (err) {
        reply = errorReply(toGrpcStatus(err, logger));
      }
      if (call.cancelled) return;
      call.write({ validHost: request.host, originalRequest: request, messageResponse: reply });
    });
    call.on("end", () => call.end());
    // A broken or cancelled stream only concerns this call.
    call.on("error", () => undefined);
  };
}

function answer(
  index: DescriptorIndex,
  services: readonly string[],
  request: ServerReflectionRequest,
): Reply {
  const message = request.messageRequest;
  switch (message?.$case) {
    case "listServices":
      return {
        $case: "listServicesResponse",
        value: { service: services.map((name) => ({ name })) },
      };
    case "fileByFilename":
      return fileReply(index, index.files.has(message.value) ? message.value : undefined, () => {
        return `file not found: ${message.value}`;
      });
    case "fileContainingSymbol": {
      const symbol = message.value.replace(/^\./, "");
      return fileReply(index, index.symbols.get(symbol), () => `symbol not found: ${symbol}`);
    }
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = message.value;
      const type = containingType.replace(/^\./, "");
      const file = index.extensions.get(type)?.get(extensionNumber);
      return fileReply(index, file, () => `extension not found: ${type} ${extensionNumber}`);
    }
    case "allExtensionNumbersOfType": {
      const type = message.value.replace(/^\./, "");
      if (!index.messages.has(type)) throw new AppError("NOT_FOUND", `type not found: ${type}`);
      const numbers = [...(index.extensions.get(type)?.keys() ?? [])].sort((a, b) => a - b);
      return {
        $case: "allExtensionNumbersResponse",
        value: { baseTypeName: type, extensionNumber: numbers },
      };
    }
    default:
      throw new AppError("INVALID_ARGUMENT", "no message_request set");
  }
}

/** `fileName` and every file it imports, transitively, the requested file first. */
function fileReply(
  index: DescriptorIndex,
  fileName: string | undefined,
  notFound: () => string,
): Reply {
  if (fileName === undefined) throw new AppError("NOT_FOUND", notFound());
  const seen = new Set<string>();
  const queue = [fileName];
  const fileDescriptorProto: Buffer[] = [];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    const file = index.files.get(name);
    if (seen.has(name) || !file) continue;
    seen.add(name);
    fileDescriptorProto.push(file.bytes);
    queue.push(...file.imports);
  }
  return { $case: "fileDescriptorResponse", value: { fileDescriptorProto } };
}

function errorReply(status: GrpcStatus): Reply {
  return {
    $case: "errorResponse",
    value: { errorCode: status.code, errorMessage: status.details },
  };
}
