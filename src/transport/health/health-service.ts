import type { Server, ServerWritableStream } from "@grpc/grpc-js";
import { AppError } from "../../domain/errors.js";
import {
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
  HealthService,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../gen/grpc/health/v1/health.js";
import { grpcStatusOf, serviceErrorOf } from "../grpc-errors.js";

/** The standard `grpc.health.v1.Health` service. */
export interface Health {
  /**
   * Sets the status of the server (service "") and of every service given to
   * `createHealth` to SERVING or NOT_SERVING, and tells every `Watch` stream.
   */
  setServing(serving: boolean): void;
  addToServer(server: Server): void;
  /**
   * For shutdown: reports NOT_SERVING, ends every `Watch` stream (so that a graceful
   * server shutdown need not wait for them) and ignores later `setServing` calls.
   */
  close(): void;
}

type Watch = ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;

/** Health for the server ("") and `services`, all NOT_SERVING until `setServing(true)`. */
export function createHealth(services: readonly string[]): Health {
  const statuses = new Map<string, ServingStatus>(
    ["", ...services].map((name) => [name, ServingStatus.NOT_SERVING]),
  );
  /** Each `Watch` stream with the status it was last sent. */
  const watchers = new Map<Watch, ServingStatus | undefined>();
  let closed = false;

  const notify = (call: Watch) => {
    const current = statuses.get(call.request.service) ?? ServingStatus.SERVICE_UNKNOWN;
    if (call.cancelled || watchers.get(call) === current) return;
    watchers.set(call, current);
    call.write({ status: current });
  };
  const setAll = (serving: ServingStatus) => {
    for (const name of statuses.keys()) statuses.set(name, serving);
    for (const call of watchers.keys()) notify(call);
  };

  const implementation: HealthServer = {
    check: (call, callback) => {
      const serving = statuses.get(call.request.service);
      if (serving === undefined) {
        const unknown = new AppError("NOT_FOUND", `unknown service ${call.request.service}`);
        callback(serviceErrorOf(grpcStatusOf(unknown)));
      } else {
        callback(null, { status: serving });
      }
    },
    watch: (call) => {
      if (closed) {
        const current = statuses.get(call.request.service) ?? ServingStatus.SERVICE_UNKNOWN;
        call.write({ status: current });
        call.end();
        return;
      }
      watchers.set(call, undefined);
      const forget = () => watchers.delete(call);
      call.on("cancelled", forget);
      call.on("close", forget);
      call.on("error", forget);
      notify(call);
    },
    list: (_call, callback) => {
      const list = [...statuses].map(([name, serving]) => [name, { status: serving }] as const);
      callback(null, { statuses: Object.fromEntries(list) });
    },
  };

  return {
    setServing(serving) {
      if (closed) return;
      setAll(serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    },
    addToServer(server) {
      server.addService(HealthService, implementation);
    },
    close() {
      if (closed) return;
      setAll(ServingStatus.NOT_SERVING);
      closed = true;
      for (const call of watchers.keys()) call.end();
      watchers.clear();
    },
  };
}
