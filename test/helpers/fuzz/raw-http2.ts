// One gRPC call over raw HTTP/2 (node:http2), for what a broken or hostile client can put on
// the wire: hand-made length-prefixed frames, written step by step.
import http2 from "node:http2";
import {
  ConnectRequest,
  ConnectResponse,
} from "../../../src/gen/trainingcore/v1/plugin_service.js";
import { CreateProjectRequest } from "../../../src/gen/trainingcore/v1/project_service.js";
import { createProjectRequest } from "../projects.js";

/** A gRPC length-prefixed message: flag byte, 4-byte big-endian length, payload. */
export function frame(payload: Uint8Array | number[], flag = 0): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(5);
  header.writeUInt8(flag, 0);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

export function registration(key: string): Uint8Array {
  return ConnectRequest.encode({
    sequence: 1,
    message: {
      $case: "onlineReport",
      value: {
        id: key,
        name: key,
        type: "raw",
        description: "",
        parameters: {},
        neededColumns: [],
        prescribes: false,
      },
    },
  }).finish();
}

/** ConnectRequest{sequence: 2, training_start: {project_id: 1, plugin_id: 2^60}}, encoded by hand. */
export function hugeIdReport(): Buffer {
  const varint = (value: bigint) => {
    const bytes: number[] = [];
    let v = value;
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    return bytes;
  };
  const inner = [0x08, ...varint(1n), 0x10, ...varint(2n ** 60n)];
  return Buffer.from([0x08, 0x02, 0x62, inner.length, ...inner]);
}

export function createProjectBytes(): Uint8Array {
  return CreateProjectRequest.encode(createProjectRequest({ pluginKeys: ["fz-a"] })).finish();
}

export interface RawResult {
  /** grpc-status from the trailers (or a trailers-only response); undefined if none came. */
  grpcStatus: number | undefined;
  grpcMessage: string;
  httpStatus: number | undefined;
  /** Sequences of the acks in the response body (Connect only). */
  acks: number[];
  /** Set when the HTTP/2 stream failed instead of ending with trailers. */
  streamError?: string;
}

/** In a raw call's steps: wait until the core sent one more Ack before writing on. */
export const awaitAck = Symbol("await ack");
export type Step = Buffer | typeof awaitAck;

/** One gRPC call over a fresh HTTP/2 connection, writing `steps` as they are; bounded to 10 s. */
export function rawCall(address: string, path: string, steps: readonly Step[]): Promise<RawResult> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${address}`);
    session.on("error", () => {});
    const result: RawResult = {
      grpcStatus: undefined,
      grpcMessage: "",
      httpStatus: undefined,
      acks: [],
    };
    const request = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    const timer = setTimeout(() => {
      request.close(http2.constants.NGHTTP2_CANCEL);
      session.destroy();
      reject(new Error(`${path}: no status within 10 s (${JSON.stringify(result)})`));
    }, 10_000);
    const takeStatus = (headers: http2.IncomingHttpHeaders) => {
      const code = headers["grpc-status"];
      if (code !== undefined) {
        result.grpcStatus = Number(code);
        result.grpcMessage = decodeURIComponent(String(headers["grpc-message"] ?? ""));
      }
    };
    request.on("response", (headers) => {
      result.httpStatus = Number(headers[":status"]);
      takeStatus(headers);
    });
    request.on("trailers", takeStatus);
    let body = Buffer.alloc(0);
    let onData: (() => void) | undefined;
    request.on("data", (chunk: Buffer) => {
      body = Buffer.concat([body, chunk]);
      result.acks = decodeAcks(body);
      onData?.();
    });
    request.on("error", (error: Error) => {
      result.streamError = error.message;
    });
    request.on("close", () => {
      clearTimeout(timer);
      onData?.();
      session.close();
      resolve(result);
    });
    void (async () => {
      let acksWanted = 0;
      for (const step of steps) {
        if (step === awaitAck) {
          acksWanted++;
          while (result.acks.length < acksWanted && !request.closed) {
            await new Promise<void>((wake) => {
              onData = wake;
            });
          }
          onData = undefined;
        } else if (!request.closed) {
          request.write(step);
        }
      }
      if (!request.closed) request.end();
    })();
  });
}

function decodeAcks(body: Buffer): number[] {
  const sequences: number[] = [];
  let offset = 0;
  while (offset + 5 <= body.length) {
    const length = body.readUInt32BE(offset + 1);
    const message = ConnectResponse.decode(body.subarray(offset + 5, offset + 5 + length)).message;
    offset += 5 + length;
    if (message?.$case === "ack") sequences.push(message.value.sequence);
  }
  return sequences;
}
