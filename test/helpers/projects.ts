import type { ClientReadableStream, ServiceError } from "@grpc/grpc-js";
import type { Project, ProjectEvent } from "../../src/gen/trainingcore/v1/project.js";
import type {
  CreateProjectRequest,
  CreateProjectResponse,
  GetProjectResponse,
  ListPluginsResponse,
  ListProjectsRequest,
  ListProjectsResponse,
  ProjectServiceClient,
  WatchProjectResponse,
} from "../../src/gen/trainingcore/v1/project_service.js";

export const tinyCsv = [
  "case,activity,time",
  "c1,register,2024-01-01T10:00:00Z",
  "c1,check,2024-01-01T11:00:00Z",
  "c2,register,2024-01-02T10:00:00Z",
  "c2,reject,2024-01-02T12:00:00Z",
  "c3,register,2024-01-03T10:00:00Z",
  "",
].join("\n");

export function createProjectRequest(
  overrides: Partial<CreateProjectRequest> = {},
): CreateProjectRequest {
  return {
    name: "test project",
    description: "",
    datasetCsv: Buffer.from(tinyCsv),
    caseIdColumn: "",
    holdoutFraction: undefined,
    pluginKeys: [],
    parameters: {},
    additionalInfo: {},
    sourceProjectId: 0,
    requestId: "",
    datasetId: "",
    definition: undefined,
    ...overrides,
  };
}

export async function createProject(
  client: ProjectServiceClient,
  overrides: Partial<CreateProjectRequest> = {},
): Promise<Project> {
  const response = await new Promise<CreateProjectResponse>((resolve, reject) => {
    client.createProject(createProjectRequest(overrides), (error, res) =>
      error ? reject(error) : resolve(res),
    );
  });
  if (!response.project) throw new Error("CreateProject returned no project");
  return response.project;
}

export async function getProject(
  client: ProjectServiceClient,
  projectId: number,
): Promise<Project> {
  const response = await new Promise<GetProjectResponse>((resolve, reject) => {
    client.getProject({ projectId }, (error, res) => (error ? reject(error) : resolve(res)));
  });
  if (!response.project) throw new Error("GetProject returned no project");
  return response.project;
}

/** Reads a WatchProject stream to its end; resolves with every event (rejects on an error status). */
export function watchToEnd(
  client: ProjectServiceClient,
  projectId: number,
  afterEventId = 0,
): Promise<ProjectEvent[]> {
  const stream: ClientReadableStream<WatchProjectResponse> = client.watchProject({
    projectId,
    afterEventId,
  });
  const events: ProjectEvent[] = [];
  return new Promise((resolve, reject) => {
    stream.on(
      "data",
      (response: WatchProjectResponse) => response.event && events.push(response.event),
    );
    stream.on("error", reject);
    stream.on("end", () => resolve(events));
  });
}

/** Errors of a rejected call, as `{code, details}` for concise assertions. */
export async function failureOf(
  promise: Promise<unknown>,
): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (error) {
    const e = error as ServiceError;
    return { code: e.code, details: e.details };
  }
  throw new Error("the call succeeded");
}

export function listProjects(
  client: ProjectServiceClient,
  request: ListProjectsRequest,
): Promise<ListProjectsResponse> {
  return new Promise((resolve, reject) => {
    client.listProjects(request, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

export function listPlugins(client: ProjectServiceClient): Promise<ListPluginsResponse> {
  return new Promise((resolve, reject) => {
    client.listPlugins({}, (error, response) => (error ? reject(error) : resolve(response)));
  });
}
