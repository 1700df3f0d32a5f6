import { EventEmitter, once } from "node:events";
import { Metadata, status } from "@grpc/grpc-js";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { AppError, type ErrorCode } from "../../../src/domain/errors.js";
import {
  endCall,
  grpcStatusOf,
  toGrpcStatus,
  toServiceError,
} from "../../../src/transport/grpc-errors.js";

/** A logger writing its JSON lines into an array, to check what was logged. */
function bufferedLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: "debug" },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

// A Record over ErrorCode: the compiler fails this file when a code is added without a row.
const expectedCodes: Record<ErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: status.UNAVAILABLE,
  DATA_LOSS: status.DATA_LOSS,
  INTERNAL: status.INTERNAL,
};
const failuresOfTheCore = new Set<ErrorCode>(["INTERNAL", "UNAVAILABLE", "DATA_LOSS"]);

describe("toGrpcStatus", () => {
  for (const [code, grpcCode] of Object.entries(expectedCodes) as [ErrorCode, status][]) {
    it(`maps AppError ${code} to the gRPC status of that name, message unchanged`, () => {
      const { logger, lines } = bufferedLogger();
      const result = toGrpcStatus(new AppError(code, `what went wrong (${code})`), logger);
      expect(result).toEqual({ code: grpcCode, details: `what went wrong (${code})` });
      expect(status[result.code]).toBe(code);
      // The caller's mistakes are answered, not logged; the core's own failures are logged.
      expect(lines).toHaveLength(failuresOfTheCore.has(code) ? 1 : 0);
    });
  }

  it("turns an unknown error into INTERNAL with a generic message, logged with its cause", () => {
    const { logger, lines } = bufferedLogger();
    const cause = new TypeError("cannot read properties of undefined (reading 'secret_column')");
    const result = toGrpcStatus(cause, logger);
    expect(result).toEqual({ code: status.INTERNAL, details: "internal error" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      msg: "internal error",
      err: {
        type: "TypeError",
        message: cause.message,
        stack: expect.stringContaining("TypeError"),
      },
    });
  });

  it("turns a thrown non-Error into INTERNAL as well", () => {
    const { logger, lines } = bufferedLogger();
    expect(toGrpcStatus("a string", logger)).toEqual({
      code: status.INTERNAL,
      details: "internal error",
    });
    expect(lines).toHaveLength(1);
  });

  it("turns a store that cannot be reached into UNAVAILABLE, logged with its cause", () => {
    const { logger, lines } = bufferedLogger();
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), {
      code: "ECONNREFUSED",
    });
    const timeout = Object.assign(new Error("Knex: Timeout acquiring a connection"), {
      name: "KnexTimeoutError",
    });
    for (const error of [refused, timeout]) {
      expect(toGrpcStatus(error, logger)).toEqual({
        code: status.UNAVAILABLE,
        details: "the database is unavailable; try again",
      });
    }
    expect(lines.map((line) => (line.err as { message: string }).message)).toEqual([
      refused.message,
      timeout.message,
    ]);
  });

  it("logs an AppError's cause rather than the AppError when it has one", () => {
    const { logger, lines } = bufferedLogger();
    const cause = new Error("disk full");
    toGrpcStatus(new AppError("DATA_LOSS", "the blob is truncated", { cause }), logger);
    expect(lines[0]).toMatchObject({ msg: "the blob is truncated", err: { message: "disk full" } });
  });
});

describe("grpcStatusOf", () => {
  it("maps a refusal the core chose (a report result) the same way, without an Error", () => {
    expect(grpcStatusOf({ code: "FAILED_PRECONDITION", message: "the project is done" })).toEqual({
      code: status.FAILED_PRECONDITION,
      details: "the project is done",
    });
  });
});

describe("toServiceError and endCall", () => {
  it("give grpc-js the status with empty trailing metadata", () => {
    const { logger } = bufferedLogger();
    const error = toServiceError(new AppError("NOT_FOUND", "project 7 does not exist"), logger);
    expect(error).toMatchObject({
      code: status.NOT_FOUND,
      details: "project 7 does not exist",
      message: "project 7 does not exist",
    });
    expect(error.metadata).toBeInstanceOf(Metadata);
  });

  it("ends a stream with an 'error' event carrying the status", async () => {
    const call = new EventEmitter();
    const ended = once(call, "error");
    endCall(call, { code: status.UNAVAILABLE, details: "shutting down; reconnect" });
    expect((await ended)[0]).toMatchObject({
      code: status.UNAVAILABLE,
      details: "shutting down; reconnect",
    });
  });
});
