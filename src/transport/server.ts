import { type ChannelOptions, Server } from "@grpc/grpc-js";
import { DatasetServiceService } from "../gen/trainingcore/v1/dataset_service.js";
import { ModelServiceService } from "../gen/trainingcore/v1/model_service.js";
import { PluginServiceService } from "../gen/trainingcore/v1/plugin_service.js";
import { PrescriptionServiceService } from "../gen/trainingcore/v1/prescription_service.js";
import { ProjectServiceService } from "../gen/trainingcore/v1/project_service.js";
import { type AuthGuard, addAuthenticatedService } from "./auth/authenticated-services.js";
import { createServerCredentials, type TlsFiles } from "./auth/credentials.js";
import { createDatasetHandlers, type DatasetHandlerDeps } from "./datasets/dataset-handlers.js";
import { datasetService } from "./datasets/download-encoding.js";
import { createHealth, type Health } from "./health/health-service.js";
import { createModelHandlers, modelService } from "./models/model-handlers.js";
import { decodeConnectRequest } from "./plugin-stream/connect-request-decoding.js";
import { createConnectHandler, type PluginConnectDeps } from "./plugin-stream/plugin-connect.js";
import {
  createPrescriptionHandlers,
  type PrescriptionHandlerDeps,
} from "./prescriptions/prescription-handlers.js";
import { createProjectHandlers, type ProjectHandlerDeps } from "./projects/project-handlers.js";
import { addReflection, serviceNameOf } from "./reflection/reflection-service.js";

export type ServerDeps = PluginConnectDeps &
  ProjectHandlerDeps &
  DatasetHandlerDeps &
  PrescriptionHandlerDeps & {
    /** Authentication and the method rules, applied to every application service. */
    readonly auth: AuthGuard;
    /** TLS (and mutual TLS) files; all '' for plaintext. */
    readonly tls: TlsFiles;
  };

const applicationServices = [
  PluginServiceService,
  ProjectServiceService,
  DatasetServiceService,
  PrescriptionServiceService,
  ModelServiceService,
];
const healthServiceName = "grpc.health.v1.Health";

/** Room for protobuf framing and the other fields around the largest inline dataset. */
const messageOverheadBytes = 1024 * 1024;

export interface GrpcServer {
  readonly server: Server;
  readonly health: Health;
  /** Binds and starts; resolves with the bound port. */
  listen(address: string): Promise<number>;
}

/**
 * The grpc-js server options of the core (also used by the bare grpc-js baseline of the
 * `idle-streams` benchmark, so that both hold their connections alike).
 */
export function grpcServerOptions(maxDatasetBytes: number): ChannelOptions {
  return {
    "grpc.max_receive_message_length": maxDatasetBytes + messageOverheadBytes,
    // Ping idle connections so that a plugin that vanished without closing is noticed.
    "grpc.keepalive_time_ms": 20_000,
    "grpc.keepalive_timeout_ms": 10_000,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.http2.min_ping_interval_without_data_ms": 5_000,
    // Channelz (grpc-js' introspection service, which the core does not serve) would keep
    // trace and call-count objects for every connection and call: about 1 KB per idle plugin.
    "grpc.enable_channelz": 0,
  };
}

/** PluginService with a Connect decoder that marks bad requests instead of failing the call. */
const pluginService = {
  ...PluginServiceService,
  connect: { ...PluginServiceService.connect, requestDeserialize: decodeConnectRequest },
} as const;

export function createGrpcServer(deps: ServerDeps): GrpcServer {
  const server = new Server(grpcServerOptions(deps.maxDatasetBytes));
  // Application services go through authentication; health and reflection below stay open.
  const { auth } = deps;
  addAuthenticatedService(server, pluginService, { connect: createConnectHandler(deps) }, auth);
  addAuthenticatedService(server, ProjectServiceService, createProjectHandlers(deps), auth);
  addAuthenticatedService(server, datasetService, createDatasetHandlers(deps), auth);
  addAuthenticatedService(
    server,
    PrescriptionServiceService,
    createPrescriptionHandlers(deps),
    auth,
  );
  addAuthenticatedService(server, modelService, createModelHandlers(deps), auth);
  const names = applicationServices.map(serviceNameOf);
  const health = createHealth(names);
  health.addToServer(server);
  addReflection(server, [...names, healthServiceName], deps.logger);
  return {
    server,
    health,
    listen: (address) => {
      const credentials = createServerCredentials(deps.tls);
      return new Promise((resolve, reject) => {
        server.bindAsync(address, credentials, (error, port) =>
          error ? reject(error) : resolve(port),
        );
      });
    },
  };
}
