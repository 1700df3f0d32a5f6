/**
 * The one place where errors become gRPC statuses. Every handler, stream end and ack of the
 * core takes its code and message from here; no other module names a status code.
 */
import type { EventEmitter } from "node:events";
import { status as grpcStatus, Metadata, type ServiceError } from "@grpc/grpc-js";
import { type ErrorCode, toAppError } from "../domain/errors.js";
import type { Logger } from "../logger.js";

/** What a client sees of a failure: the status code and the message it can act on. */
export interface GrpcStatus {
  readonly code: grpcStatus;
  readonly details: string;
}

const grpcCodes: Record<ErrorCode, grpcStatus> = {
  INVALID_ARGUMENT: grpcStatus.INVALID_ARGUMENT,
  NOT_FOUND: grpcStatus.NOT_FOUND,
  ALREADY_EXISTS: grpcStatus.ALREADY_EXISTS,
  PERMISSION_DENIED: grpcStatus.PERMISSION_DENIED,
  UNAUTHENTICATED: grpcStatus.UNAUTHENTICATED,
  FAILED_PRECONDITION: grpcStatus.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: grpcStatus.RESOURCE_EXHAUSTED,
  UNAVAILABLE: grpcStatus.UNAVAILABLE,
  DATA_LOSS: grpcStatus.DATA_LOSS,
  INTERNAL: grpcStatus.INTERNAL,
};

/** Codes that mean the core failed (not the caller): worth an error line with the cause. */
const loggedCodes: ReadonlySet<ErrorCode> = new Set(["INTERNAL", "UNAVAILABLE", "DATA_LOSS"]);

/**
 * The status of an outcome the core chose on purpose (an AppError, or a refused report's
 * result): its code and message unchanged, nothing logged.
 */
export function grpcStatusOf(outcome: {
  readonly code: ErrorCode;
  readonly message: string;
}): GrpcStatus {
  return { code: grpcCodes[outcome.code], details: outcome.message };
}

/**
 * Any thrown value as a status. An AppError keeps its code and message; anything else becomes
 * INTERNAL (or UNAVAILABLE when the database cannot be reached) with a message that shows no
 * internals. Failures of the core are logged with their cause, which never reaches the client.
 */
export function toGrpcStatus(error: unknown, logger: Logger): GrpcStatus {
  const appError = toAppError(error);
  if (loggedCodes.has(appError.code)) {
    logger.error({ err: appError.cause ?? appError }, appError.message);
  }
  return grpcStatusOf(appError);
}

/** A status as grpc-js takes it: a unary callback's error, or a stream's 'error' event. */
export function serviceErrorOf(status: GrpcStatus): Partial<ServiceError> {
  return {
    name: "ServiceError",
    message: status.details,
    code: status.code,
    details: status.details,
    metadata: new Metadata(),
  };
}

/** `toGrpcStatus` for a unary (or client-stream) callback. */
export function toServiceError(error: unknown, logger: Logger): Partial<ServiceError> {
  return serviceErrorOf(toGrpcStatus(error, logger));
}

/** Ends a server or bidi stream with `status` (grpc-js sends it as the call's trailers). */
export function endCall(call: EventEmitter, status: GrpcStatus): void {
  call.emit("error", serviceErrorOf(status));
}
