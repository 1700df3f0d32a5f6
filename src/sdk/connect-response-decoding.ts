/**
 * `ConnectResponse` from the wire, faster where it counts: a PrescriptionRequest of a live case
 * carries the case's every event as a `google.protobuf.Struct`, and the generated decoder builds
 * a `Value` object, an entry object and a field map per cell before unwrapping them. This one
 * reads a PrescriptionRequest's fields and its events' cells straight into the unwrapped shape;
 * anything else (other messages, nested structs and lists in a cell, the definition) goes to the
 * generated decoders. The result equals `ConnectResponse.decode` on every input (a unit test
 * checks it).
 */
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { ListValue, Struct } from "../gen/google/protobuf/struct.js";
import { EventLogDefinition } from "../gen/trainingcore/v1/definition.js";
import {
  type CasePrefix,
  ConnectResponse,
  type PrescriptionRequest,
} from "../gen/trainingcore/v1/plugin_service.js";

type Unwrapped = { [key: string]: unknown };

/** The generated decoders count their nesting on the reader (and stop at 100): so do we. */
function withDepth<T>(reader: BinaryReader, depth: number, decode: () => T): T {
  const counted = reader as unknown as { __tsProtoDecodeDepth?: number };
  const previous = counted.__tsProtoDecodeDepth;
  counted.__tsProtoDecodeDepth = depth;
  try {
    return decode();
  } finally {
    counted.__tsProtoDecodeDepth = previous;
  }
}

/** `Number(int64)` the way the generated code converts it (refusing unsafe integers). */
function int64ToNumber(reader: BinaryReader): number {
  const value = reader.int64();
  const number = Number(value.toString());
  if (number > Number.MAX_SAFE_INTEGER)
    throw new Error("Value is larger than Number.MAX_SAFE_INTEGER");
  if (number < Number.MIN_SAFE_INTEGER)
    throw new Error("Value is smaller than Number.MIN_SAFE_INTEGER");
  return number;
}

export function decodeConnectResponse(bytes: Uint8Array): ConnectResponse {
  const reader = new BinaryReader(bytes);
  // Only a message that is exactly one PrescriptionRequest takes the fast path.
  if (reader.len === 0 || reader.uint32() !== 122) return ConnectResponse.decode(bytes);
  const length = reader.uint32();
  if (reader.pos + length !== reader.len) return ConnectResponse.decode(bytes);
  const value = prescriptionRequest(reader, length);
  // Stopped early (a zero or end-group tag): the generated decoder reads on from there.
  if (reader.pos !== reader.len) return ConnectResponse.decode(bytes);
  return { message: { $case: "prescriptionRequest", value } };
}

function prescriptionRequest(reader: BinaryReader, length: number): PrescriptionRequest {
  const end = reader.pos + length;
  const message: PrescriptionRequest = {
    requestId: "",
    projectId: 0,
    pluginId: 0,
    modelName: "",
    input: undefined,
    parameters: undefined,
    additionalInfo: undefined,
    definition: undefined,
  };
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10:
        message.requestId = reader.string();
        continue;
      case 16:
        message.projectId = int64ToNumber(reader);
        continue;
      case 24:
        message.pluginId = int64ToNumber(reader);
        continue;
      case 34:
        message.modelName = reader.string();
        continue;
      case 42:
        message.input = { $case: "datasetName", value: reader.string() };
        continue;
      case 50:
        message.input = { $case: "casePrefix", value: casePrefix(reader, reader.uint32()) };
        continue;
      case 58:
        message.parameters = struct(reader, reader.uint32(), 2);
        continue;
      case 66:
        message.additionalInfo = struct(reader, reader.uint32(), 2);
        continue;
      case 74: {
        const size = reader.uint32();
        message.definition = withDepth(reader, 2, () => EventLogDefinition.decode(reader, size));
        continue;
      }
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  return message;
}

function casePrefix(reader: BinaryReader, length: number): CasePrefix {
  const end = reader.pos + length;
  const message: CasePrefix = { caseId: "", events: [] };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) {
      message.caseId = reader.string();
      continue;
    }
    if (tag === 18) {
      message.events.push(struct(reader, reader.uint32(), 3));
      continue;
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  return message;
}

/** A Struct, unwrapped: `{ [key]: value }` (`depth`: the generated decoders' count at it). */
function struct(reader: BinaryReader, length: number, depth: number): Unwrapped {
  const end = reader.pos + length;
  const object: Unwrapped = {};
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) {
      entry(reader, reader.uint32(), depth + 1, object);
      continue;
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  return object;
}

/** A Struct's map entry, set on `object` unless its value is unset. */
function entry(reader: BinaryReader, length: number, depth: number, object: Unwrapped): void {
  const end = reader.pos + length;
  let key = "";
  let value: unknown;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) {
      key = reader.string();
      continue;
    }
    if (tag === 18) {
      value = cell(reader, reader.uint32(), depth + 1);
      continue;
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  // The generated decoder sets `fields.__proto__`, which unwrapping leaves out: so do we.
  if (value !== undefined && key !== "__proto__") object[key] = value;
}

/** A Value, unwrapped: null, a number, a string, a boolean, an object, an array, or undefined. */
function cell(reader: BinaryReader, length: number, depth: number): unknown {
  const end = reader.pos + length;
  let value: unknown;
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 8:
        reader.int32();
        value = null;
        continue;
      case 17:
        value = reader.double();
        continue;
      case 26:
        value = reader.string();
        continue;
      case 32:
        value = reader.bool();
        continue;
      case 42: {
        const size = reader.uint32();
        value = withDepth(reader, depth + 1, () => Struct.unwrap(Struct.decode(reader, size)));
        continue;
      }
      case 50: {
        const size = reader.uint32();
        value = withDepth(reader, depth + 1, () =>
          ListValue.unwrap(ListValue.decode(reader, size)),
        );
        continue;
      }
    }
    if ((tag & 7) === 4 || tag === 0) break;
    reader.skip(tag & 7);
  }
  return value;
}
