// A real grpc-js server with our services' definitions, health and reflection, whose handlers
// answer UNIMPLEMENTED (CreateProject echoes its request): reflection and health without a core.
import {
  type Client,
  type handleUnaryCall,
  Server,
  ServerCredentials,
  type ServiceDefinition,
  type ServiceError,
  status,
  type UntypedHandleCall,
} from "@grpc/grpc-js";
import pino from "pino";
import { afterAll, beforeAll } from "vitest";
import { DatasetServiceService } from "../../src/gen/trainingcore/v1/dataset_service.js";
import { ModelServiceService } from "../../src/gen/trainingcore/v1/model_service.js";
import { PluginServiceService } from "../../src/gen/trainingcore/v1/plugin_service.js";
import { PrescriptionServiceService } from "../../src/gen/trainingcore/v1/prescription_service.js";
import { Project } from "../../src/gen/trainingcore/v1/project.js";
import {
  type CreateProjectRequest,
  type CreateProjectResponse,
  ProjectServiceService,
} from "../../src/gen/trainingcore/v1/project_service.js";
import { createHealth, type Health } from "../../src/transport/health/health-service.js";
import { addReflection, serviceNameOf } from "../../src/transport/reflection/reflection-service.js";

export const ourServices = [
  PluginServiceService,
  ProjectServiceService,
  DatasetServiceService,
  PrescriptionServiceService,
  ModelServiceService,
].map(serviceNameOf);

export interface StandInServer {
  readonly address: string;
  readonly health: Health;
  /** A client of the server, closed with it. */
  client<T extends Client>(make: (address: string) => T): T;
}

/** Handlers that answer UNIMPLEMENTED, standing in for the real services. */
function unimplemented(
  definition: ServiceDefinition,
  overrides: Record<string, UntypedHandleCall> = {},
) {
  const handler = (
    call: { emit(event: "error", error: Partial<ServiceError>): boolean },
    callback?: (error: Partial<ServiceError>) => void,
  ) => {
    const error = { code: status.UNIMPLEMENTED, details: "not implemented in this test" };
    if (callback) callback(error);
    else call.emit("error", error);
  };
  const handlers = Object.keys(definition).map((name) => [name, handler as UntypedHandleCall]);
  return { ...Object.fromEntries(handlers), ...overrides };
}

/** CreateProject answering with a project that carries the request, to see what arrived. */
const echoCreateProject = ((call, callback) => {
  const { request } = call;
  const project = Project.fromPartial({
    id: 7,
    name: request.name,
    description: JSON.stringify({
      csv: request.datasetCsv.toString(),
      holdout: request.holdoutFraction,
      parameters: request.parameters,
      additionalInfo: request.additionalInfo,
    }),
    pluginKeys: request.pluginKeys,
    createdAt: new Date("2024-01-02T03:04:05Z"),
  });
  callback(null, { project } satisfies CreateProjectResponse);
}) satisfies handleUnaryCall<CreateProjectRequest, CreateProjectResponse>;

/** Registers the hooks that start the server before the describe's tests and stop it after. */
export function standInServerPerDescribe(): StandInServer {
  let server: Server | undefined;
  let address: string | undefined;
  let health: Health | undefined;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = new Server();
    server.addService(PluginServiceService, unimplemented(PluginServiceService));
    server.addService(DatasetServiceService, unimplemented(DatasetServiceService));
    server.addService(PrescriptionServiceService, unimplemented(PrescriptionServiceService));
    server.addService(
      ProjectServiceService,
      unimplemented(ProjectServiceService, { createProject: echoCreateProject }),
    );
    health = createHealth(ourServices);
    health.addToServer(server);
    addReflection(server, [...ourServices, "grpc.health.v1.Health"], pino({ level: "silent" }));
    const bound = server;
    const port = await new Promise<number>((resolve, reject) => {
      bound.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, p) =>
        error ? reject(error) : resolve(p),
      );
    });
    address = `127.0.0.1:${port}`;
  });

  afterAll(() => {
    for (const c of clients.splice(0)) c.close();
    server?.forceShutdown();
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error("the stand-in server runs only while its describe does");
    return value;
  };
  return {
    get address() {
      return started(address);
    },
    get health() {
      return started(health);
    },
    client(make) {
      const c = make(started(address));
      clients.push(c);
      return c;
    },
  };
}
