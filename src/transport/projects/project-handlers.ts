import type {
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
  UntypedHandleCall,
} from "@grpc/grpc-js";
import type { Knex } from "knex";
import type { ChangeFeed } from "../../app/change-feed/change-feed.js";
import type { PluginSessions } from "../../app/plugins/plugin-sessions.js";
import { createProject } from "../../app/projects/create-project.js";
import { deleteProject } from "../../app/projects/delete-project.js";
import { KnownPluginKeys } from "../../app/projects/known-plugin-keys.js";
import { getProject, listPluginViews, listProjectPage } from "../../app/projects/project-views.js";
import { setPluginServing } from "../../app/projects/set-plugin-serving.js";
import { updateProject } from "../../app/projects/update-project.js";
import { watchProject } from "../../app/projects/watch-project.js";
import type {
  CreateProjectRequest,
  CreateProjectResponse,
  DeleteProjectRequest,
  DeleteProjectResponse,
  GetProjectRequest,
  GetProjectResponse,
  ListPluginsRequest,
  ListPluginsResponse,
  ListProjectsRequest,
  ListProjectsResponse,
  ProjectServiceServer,
  SetPluginServingRequest,
  SetPluginServingResponse,
  UpdateProjectRequest,
  UpdateProjectResponse,
  WatchProjectRequest,
  WatchProjectResponse,
} from "../../gen/trainingcore/v1/project_service.js";
import type { Logger } from "../../logger.js";
import { fromProtoDefinition } from "../event-log-definitions.js";
import { endCall, toGrpcStatus, toServiceError } from "../grpc-errors.js";
import type { OpenStreams } from "../open-streams.js";
import { StreamWriter } from "../stream-writer.js";
import {
  toProtoEvent,
  toProtoPluginInfo,
  toProtoProject,
  toProtoProjectPlugin,
} from "./project-messages.js";

export interface ProjectHandlerDeps {
  readonly db: Knex;
  readonly feed: ChangeFeed;
  readonly sessions: PluginSessions;
  readonly openStreams: OpenStreams;
  readonly logger: Logger;
  readonly maxDatasetBytes: number;
  /**
   * Called once a new project is stored and the CreateProject call has ended (its response is
   * on its way): starts its preprocessing.
   */
  projectCreated(projectId: number): void;
}

function definedEntries<T>(map: Record<string, T | undefined>): Record<string, T> {
  return Object.fromEntries(
    Object.entries(map).filter((entry): entry is [string, T] => entry[1] !== undefined),
  );
}

/** Adapts an async function to a grpc-js unary handler; every error goes through one mapping. */
function unary<Req, Res>(logger: Logger, handle: (request: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    handle(call.request).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error, logger)),
    );
  };
}

/** Longest wait for the end of a call before `afterCallEnded` runs its effect anyway. */
const callEndFallbackMs = 1000;

/**
 * Runs `effect` once the call has ended and its last frame is on its way to the client.
 * grpc-js emits `cancelled` on a server call however it ends, its status sent included (on
 * purpose since 1.10, grpc/grpc-node#2771), on the tick after handing the status to HTTP/2.
 * It hands the trailers over from the stream's `wantTrailers` event, which Node's HTTP/2 emits
 * while it writes the last DATA frame; the trailers frame then goes out in a write that HTTP/2
 * schedules as a native immediate, which runs only in the next check phase, after the current
 * phase's JavaScript immediates. So one `setImmediate` would run the effect before that write,
 * and preprocessing (synchronous SQLite work) would hold the response back. Two let the write
 * go first. Work started earlier holds the
 * response back whenever it holds the event loop.
 */
function afterCallEnded(call: ServerUnaryCall<unknown, unknown>, effect: () => void): void {
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    clearTimeout(fallback);
    setImmediate(() => setImmediate(effect));
  };
  // Should a grpc-js version not emit `cancelled` after a finished call, the work still starts.
  const fallback = setTimeout(run, callEndFallbackMs);
  fallback.unref();
  if (call.cancelled) run();
  else call.once("cancelled", run);
}

export function createProjectHandlers(
  deps: ProjectHandlerDeps,
): ProjectServiceServer & Record<string, UntypedHandleCall> {
  const { db, logger } = deps;
  const knownKeys = new KnownPluginKeys(db);
  return {
    createProject: (
      call: ServerUnaryCall<CreateProjectRequest, CreateProjectResponse>,
      callback: sendUnaryData<CreateProjectResponse>,
    ): void => {
      // The new project's preprocessing starts only once the call has ended, whatever its
      // outcome (an error after the project was stored still leaves it to preprocess).
      let createdId: number | undefined;
      const handle = unary<CreateProjectRequest, CreateProjectResponse>(logger, async (request) => {
        const created = await createProject(
          {
            name: request.name,
            description: request.description,
            datasetCsv: request.datasetCsv,
            datasetId: request.datasetId,
            caseIdColumn: request.caseIdColumn,
            holdoutFraction: request.holdoutFraction,
            pluginKeys: request.pluginKeys,
            parameters: definedEntries(request.parameters),
            additionalInfo: definedEntries(request.additionalInfo),
            requestId: request.requestId,
            sourceProjectId: request.sourceProjectId,
            definition: request.definition && fromProtoDefinition(request.definition),
          },
          {
            db,
            knownKeys,
            maxDatasetBytes: deps.maxDatasetBytes,
            onlineKeys: () => deps.sessions.onlineKeys(Date.now()),
            created: (projectId) => {
              logger.info({ projectId }, "project created");
              createdId = projectId;
            },
          },
        );
        // A new project's view comes from the rows just written; only a repeated request_id's
        // (which may have moved on) is read back.
        const view = created.project ?? (await getProject(db, created.projectId));
        return { project: toProtoProject(view) };
      });
      handle(call, (error, value) => {
        callback(error, value);
        const projectId = createdId;
        if (projectId !== undefined) afterCallEnded(call, () => deps.projectCreated(projectId));
      });
    },

    getProject: unary<GetProjectRequest, GetProjectResponse>(logger, async (request) => ({
      project: toProtoProject(await getProject(db, request.projectId)),
    })),

    listProjects: unary<ListProjectsRequest, ListProjectsResponse>(logger, async (request) => {
      const page = await listProjectPage(db, request.pageSize, request.pageToken);
      return { projects: page.projects.map(toProtoProject), nextPageToken: page.nextPageToken };
    }),

    listPlugins: unary<ListPluginsRequest, ListPluginsResponse>(logger, async () => ({
      plugins: (await listPluginViews(db, deps.sessions)).map(toProtoPluginInfo),
    })),

    deleteProject: unary<DeleteProjectRequest, DeleteProjectResponse>(logger, async (request) => {
      const deleted = await deleteProject(db, deps.feed, request.projectId);
      if (deleted.existed) {
        logger.info({ projectId: request.projectId, blobs: deleted.blobs }, "project deleted");
      }
      return {};
    }),

    updateProject: unary<UpdateProjectRequest, UpdateProjectResponse>(logger, async (request) => ({
      project: toProtoProject(
        await updateProject(db, {
          projectId: request.projectId,
          name: request.name,
          description: request.description,
          updateMask: request.updateMask ?? [],
        }),
      ),
    })),

    setPluginServing: unary<SetPluginServingRequest, SetPluginServingResponse>(
      logger,
      async (request) => {
        const plugin = await setPluginServing(db, deps.feed, {
          projectId: request.projectId,
          pluginId: request.pluginId,
          serving: request.serving,
        });
        logger.info(
          { projectId: request.projectId, pluginId: request.pluginId, serving: plugin.serving },
          "plugin serving set",
        );
        return { plugin: toProtoProjectPlugin(plugin) };
      },
    ),

    watchProject: (call: ServerWritableStream<WatchProjectRequest, WatchProjectResponse>) => {
      void streamProjectEvents(call, deps);
    },
  };
}

async function streamProjectEvents(
  call: ServerWritableStream<WatchProjectRequest, WatchProjectResponse>,
  deps: ProjectHandlerDeps,
): Promise<void> {
  deps.openStreams.add(call);
  const writer = new StreamWriter<WatchProjectResponse>(call);
  const abort = new AbortController();
  const stop = () => abort.abort();
  call.once("cancelled", stop);
  call.once("close", stop);
  try {
    const { projectId, afterEventId } = call.request;
    for await (const event of watchProject(
      deps.db,
      deps.feed,
      projectId,
      afterEventId,
      abort.signal,
    )) {
      await writer.write({ event: toProtoEvent(event) });
    }
    if (writer.isOpen) call.end();
  } catch (error) {
    if (writer.isOpen) endCall(call, toGrpcStatus(error, deps.logger));
  } finally {
    deps.openStreams.remove(call);
    abort.abort();
  }
}
