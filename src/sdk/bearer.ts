import { InterceptingCall, type Interceptor } from "@grpc/grpc-js";

/**
 * Adds `authorization: Bearer <token>` to every call of a client. Works on plaintext channels
 * too (grpc-js call credentials need TLS), e.g. against a core on loopback.
 */
export function bearerInterceptor(token: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set("authorization", `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}
