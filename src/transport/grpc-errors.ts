import { status as grpcStatus, Metadata, type ServiceError } from "@grpc/grpc-js";
import { type AppError, type ErrorCode, toAppError } from "../domain/errors.js";
import type { Logger } from "../logger.js";

export const grpcCodeOf: Record<ErrorCode, grpcStatus> = {
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

/**
 * The one place that turns a thrown value into a gRPC status. An AppError's message reaches the
 * client; anything else is logged with its cause and reported without internals.
 */
export function toServiceError(error: unknown, logger: Logger): Partial<ServiceError> {
  const appError = toAppError(error);
  if (["INTERNAL", "UNAVAILABLE", "DATA_LOSS"].includes(appError.code)) {
    logger.error({ err: appError.cause ?? appError }, appError.message);
  }
  return serviceError(appError);
}

export function serviceError(error: AppError): Partial<ServiceError> {
  return {
    name: "ServiceError",
    message: error.message,
    code: grpcCodeOf[error.code],
    details: error.message,
    metadata: new Metadata(),
  };
}
