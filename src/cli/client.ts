/**
 * The CLI's view of ProjectService and DatasetService.InspectDataset: promise-returning calls
 * with a deadline, the watch stream, and gRPC failures turned into `CODE_NAME: details` messages.
 */
import {
  type CallOptions,
  type ChannelInterface,
  type ClientOptions,
  type ClientReadableStream,
  connectivityState,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from "@grpc/grpc-js";
import {
  DatasetServiceClient,
  type InspectDatasetRequest,
  type InspectDatasetResponse,
} from "../gen/trainingcore/v1/dataset_service.js";
import { ModelServiceClient } from "../gen/trainingcore/v1/model_service.js";
import type { PluginInfo, Project, ProjectPlugin } from "../gen/trainingcore/v1/project.js";
import {
  type CreateProjectRequest,
  ProjectServiceClient,
  type UpdateProjectRequest,
  type WatchProjectResponse,
} from "../gen/trainingcore/v1/project_service.js";
import { bearerInterceptor } from "../sdk/bearer.js";
import { CliError, ExitCode } from "./errors.js";

export const defaultAddress = "127.0.0.1:50051";
export const defaultTimeoutSeconds = 30;

type Callback<Res> = (error: ServiceError | null, response: Res) => void;

/** A wildcard listen address (as CORE_ADDRESS may be for the server) is reached on loopback. */
export function connectAddress(address: string): string {
  return address.replace(/^0\.0\.0\.0:|^\[::\]:/, "127.0.0.1:");
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === "number";
}

export class CoreClient {
  readonly address: string;
  private readonly client: ProjectServiceClient;
  private readonly options: ClientOptions;
  /** Opened by the first InspectDataset call. */
  private datasets: DatasetServiceClient | undefined;
  /** Opened by the first `models` use. */
  private modelService: ModelServiceClient | undefined;

  constructor(
    address: string,
    /** Deadline of each unary call; 0: none. */
    private readonly timeoutSeconds: number,
    /** Consumer token; '' for none. */
    readonly token = "",
  ) {
    this.address = connectAddress(address);
    this.options = {
      // Project lists of 500 projects with their plugins can exceed the 4 MiB default.
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      ...(token && { interceptors: [bearerInterceptor(token)] }),
    };
    this.client = new ProjectServiceClient(
      this.address,
      credentials.createInsecure(),
      this.options,
    );
  }

  async createProject(request: CreateProjectRequest, timeoutSeconds?: number): Promise<Project> {
    const response = await this.unary<{ project?: Project }>(
      (metadata, options, callback) =>
        this.client.createProject(request, metadata, options, callback),
      timeoutSeconds,
    );
    return required(response.project, "CreateProject");
  }

  async getProject(projectId: number): Promise<Project> {
    const response = await this.unary<{ project?: Project }>((metadata, options, callback) =>
      this.client.getProject({ projectId }, metadata, options, callback),
    );
    return required(response.project, "GetProject");
  }

  listProjects(
    pageSize: number,
    pageToken: string,
  ): Promise<{ projects: Project[]; nextPageToken: string }> {
    return this.unary((metadata, options, callback) =>
      this.client.listProjects({ pageSize, pageToken }, metadata, options, callback),
    );
  }

  async deleteProject(projectId: number): Promise<void> {
    await this.unary<object>((metadata, options, callback) =>
      this.client.deleteProject({ projectId }, metadata, options, callback),
    );
  }

  async updateProject(request: UpdateProjectRequest): Promise<Project> {
    const response = await this.unary<{ project?: Project }>((metadata, options, callback) =>
      this.client.updateProject(request, metadata, options, callback),
    );
    return required(response.project, "UpdateProject");
  }

  async setPluginServing(
    projectId: number,
    pluginId: number,
    serving: boolean,
  ): Promise<ProjectPlugin> {
    const response = await this.unary<{ plugin?: ProjectPlugin }>((metadata, options, callback) =>
      this.client.setPluginServing({ projectId, pluginId, serving }, metadata, options, callback),
    );
    return required(response.plugin, "SetPluginServing");
  }

  async listPlugins(): Promise<PluginInfo[]> {
    const response = await this.unary<{ plugins: PluginInfo[] }>((metadata, options, callback) =>
      this.client.listPlugins({}, metadata, options, callback),
    );
    return response.plugins;
  }

  inspectDataset(request: InspectDatasetRequest): Promise<InspectDatasetResponse> {
    this.datasets ??= new DatasetServiceClient(
      this.address,
      credentials.createInsecure(),
      this.options,
    );
    const datasets = this.datasets;
    return this.unary(
      (metadata, options, callback) =>
        datasets.inspectDataset(request, metadata, options, callback),
      undefined,
      datasets.getChannel(),
    );
  }

  /** ModelService, for downloads (which resume by themselves: no deadline). */
  get models(): ModelServiceClient {
    this.modelService ??= new ModelServiceClient(
      this.address,
      credentials.createInsecure(),
      this.options,
    );
    return this.modelService;
  }

  /** The WatchProject stream: no deadline (it ends by itself after the final event). */
  watch(projectId: number, afterEventId: number): ClientReadableStream<WatchProjectResponse> {
    return this.client.watchProject({ projectId, afterEventId }, new Metadata(), {});
  }

  /**
   * Turns a failed call into a CliError; anything that is not a gRPC status is rethrown. The
   * core's INVALID_ARGUMENT refuses what the command line asked for, so it is a usage error.
   */
  failure(
    error: unknown,
    timeoutSeconds = this.timeoutSeconds,
    channel: ChannelInterface = this.client.getChannel(),
  ): CliError {
    if (!isServiceError(error)) throw error;
    const name = status[error.code] ?? String(error.code);
    // grpc-js ends connection errors with an empty "Resolution note: ".
    const details = (error.details || error.message).replace(/\.? Resolution note: ?$/, "");
    const connected = channel.getConnectivityState(false) === connectivityState.READY;
    if (!connected && error.code === status.UNAVAILABLE) {
      return new CliError(`${name}: the core is not reachable at ${this.address} (${details})`);
    }
    if (!connected && error.code === status.DEADLINE_EXCEEDED) {
      return new CliError(
        `${name}: the core is not reachable at ${this.address} (no answer within ${timeoutSeconds} s)`,
      );
    }
    const exitCode = error.code === status.INVALID_ARGUMENT ? ExitCode.usage : ExitCode.failed;
    return new CliError(`${name}: ${details}`, exitCode);
  }

  close(): void {
    this.client.close();
    this.datasets?.close();
    this.modelService?.close();
  }

  private unary<Res>(
    invoke: (metadata: Metadata, options: Partial<CallOptions>, callback: Callback<Res>) => void,
    timeoutSeconds = this.timeoutSeconds,
    channel?: ChannelInterface,
  ): Promise<Res> {
    const options: Partial<CallOptions> =
      timeoutSeconds > 0 ? { deadline: Date.now() + timeoutSeconds * 1000 } : {};
    return new Promise((resolve, reject) => {
      invoke(new Metadata(), options, (error, response) =>
        error ? reject(this.failure(error, timeoutSeconds, channel)) : resolve(response),
      );
    });
  }
}

function required<T extends Project | ProjectPlugin>(value: T | undefined, method: string): T {
  if (!value) throw new CliError(`${method} returned nothing`);
  return value;
}
