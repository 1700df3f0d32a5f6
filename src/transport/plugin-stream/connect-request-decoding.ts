/**
 * Reading ConnectRequests from the wire without ever answering bad bytes with INTERNAL. The
 * generated decoder throws on malformed protobuf, and on 64-bit ids or sequence numbers beyond
 * 2^53 - 1 (they are JavaScript numbers: `forceLong=number`); grpc-js would then end the call
 * with INTERNAL. Instead the request comes through marked with what was wrong:
 * - an out-of-range id in an otherwise readable request whose `sequence` is fine: the request is
 *   refused with an INVALID_ARGUMENT ack, like any other bad report, and the stream goes on;
 * - anything else (bytes that are no ConnectRequest, an unusable `sequence`): the stream ends
 *   with INVALID_ARGUMENT, since nothing after it can be trusted to line up.
 */
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { ConnectRequest } from "../../gen/trainingcore/v1/plugin_service.js";

export interface Undecodable {
  readonly reason: string;
  /** True: the stream must end; false: refuse this request with an ack and go on. */
  readonly fatal: boolean;
}

const undecodable = new WeakMap<ConnectRequest, Undecodable>();

const outOfRange = /Number\.(MAX|MIN)_SAFE_INTEGER/;

/** The request's problem, when it could not be decoded (see decodeConnectRequest). */
export function undecodableOf(request: ConnectRequest): Undecodable | undefined {
  return undecodable.get(request);
}

/** `requestDeserialize` of PluginService.Connect. */
export function decodeConnectRequest(bytes: Buffer): ConnectRequest {
  try {
    return ConnectRequest.decode(bytes);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const sequence = readSequence(bytes);
    const request: ConnectRequest = { sequence: sequence ?? 0, message: undefined };
    if (outOfRange.test(message) && sequence !== undefined) {
      undecodable.set(request, {
        reason:
          "a 64-bit field (project_id or plugin_id) is beyond 2^53 - 1: no id the core hands out is that large",
        fatal: false,
      });
    } else if (outOfRange.test(message)) {
      undecodable.set(request, {
        reason: "sequence must be a positive integer below 2^53",
        fatal: true,
      });
    } else {
      undecodable.set(request, {
        reason: `the message is not a ConnectRequest (${message})`,
        fatal: true,
      });
    }
    return request;
  }
}

/** Field 1 (`sequence`) when it can be read and is a safe integer; undefined otherwise. */
function readSequence(bytes: Uint8Array): number | undefined {
  try {
    const reader = new BinaryReader(bytes);
    let sequence: number | undefined;
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      const field = tag >>> 3;
      const wireType = tag & 7;
      if (field === 1 && wireType === 0) {
        const value = BigInt(reader.uint64().toString());
        sequence = value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
        if (sequence === undefined) return undefined;
      } else {
        reader.skip(wireType);
      }
    }
    return sequence;
  } catch {
    return undefined;
  }
}
