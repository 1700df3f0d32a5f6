/** PrescriptionService: thin handlers over the prescription jobs' use cases. */
import type {
  ServerUnaryCall,
  ServerWritableStream,
  sendUnaryData,
  UntypedHandleCall,
} from "@grpc/grpc-js";
import type { Knex } from "knex";
import type { ChangeFeed } from "../../app/change-feed/change-feed.js";
import { deletePrescriptionJob } from "../../app/prescriptions/jobs/delete-job.js";
import { getJob, listJobPage } from "../../app/prescriptions/jobs/job-views.js";
import { listPrescriptions } from "../../app/prescriptions/jobs/list-prescriptions.js";
import { prescribeDataset } from "../../app/prescriptions/jobs/prescribe-dataset.js";
import { watchJob } from "../../app/prescriptions/jobs/watch-job.js";
import { clearEvents } from "../../app/prescriptions/stream/clear-events.js";
import { postEvents } from "../../app/prescriptions/stream/post-events.js";
import { simulateProject } from "../../app/prescriptions/stream/simulate-project.js";
import { watchEvents } from "../../app/prescriptions/stream/watch-events.js";
import type {
  PrescriptionServiceServer,
  SimulateProjectRequest,
  SimulateProjectResponse,
  WatchPrescriptionJobRequest,
  WatchPrescriptionJobResponse,
  WatchPrescriptionsRequest,
  WatchPrescriptionsResponse,
} from "../../gen/trainingcore/v1/prescription_service.js";
import type { Logger } from "../../logger.js";
import { endCall, toGrpcStatus, toServiceError } from "../grpc-errors.js";
import type { OpenStreams } from "../open-streams.js";
import { StreamWriter } from "../stream-writer.js";
import { toProtoCaseResult, toProtoJob, toProtoPrescribedEvent } from "./prescription-messages.js";

export interface PrescriptionHandlerDeps {
  readonly db: Knex;
  readonly feed: ChangeFeed;
  readonly openStreams: OpenStreams;
  readonly logger: Logger;
  readonly maxDatasetBytes: number;
  /** CORE_PRESCRIPTION_TIMEOUT_MS. */
  readonly prescriptionTimeoutMs: number;
  /** CORE_STREAM_PRESCRIPTION_TIMEOUT_MS. */
  readonly streamPrescriptionTimeoutMs: number;
  /** CORE_MAX_EVENTS_PER_POST. */
  readonly maxEventsPerPost: number;
  /** CORE_EVENT_RETENTION. */
  readonly eventRetention: number;
  /** Called once a new job is stored: starts its preparation. */
  jobCreated(jobId: string): void;
}

function unary<Req, Res>(logger: Logger, handle: (request: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    handle(call.request).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error, logger)),
    );
  };
}

export function createPrescriptionHandlers(
  deps: PrescriptionHandlerDeps,
): PrescriptionServiceServer & Record<string, UntypedHandleCall> {
  const { db, logger } = deps;
  return {
    prescribeDataset: unary(logger, async (request) => {
      const { job, created } = await prescribeDataset(
        {
          projectId: request.projectId,
          datasetCsv: request.datasetCsv,
          datasetId: request.datasetId,
          requestId: request.requestId,
        },
        { db, maxDatasetBytes: deps.maxDatasetBytes },
      );
      if (created) {
        logger.info({ jobId: job.jobId, projectId: job.projectId }, "prescription job created");
        // Once the answer is on its way: preparing holds the event loop at times.
        setImmediate(() => deps.jobCreated(job.jobId));
      }
      return { job: toProtoJob(job) };
    }),

    getPrescriptionJob: unary(logger, async (request) => ({
      job: toProtoJob(await getJob(db, request.jobId)),
    })),

    listPrescriptions: unary(logger, async (request) => {
      const page = await listPrescriptions(
        db,
        request.jobId,
        request.pageSize,
        request.pageToken,
        deps.prescriptionTimeoutMs,
      );
      return { cases: page.cases.map(toProtoCaseResult), nextPageToken: page.nextPageToken };
    }),

    deletePrescriptionJob: unary(logger, async (request) => {
      await deletePrescriptionJob(db, deps.feed, request.jobId);
      return {};
    }),

    listPrescriptionJobs: unary(logger, async (request) => {
      const page = await listJobPage(db, request.projectId, request.pageSize, request.pageToken);
      return { jobs: page.jobs.map(toProtoJob), nextPageToken: page.nextPageToken };
    }),

    postEvents: unary(logger, async (request) => {
      const eventIds = await postEvents(
        {
          db,
          feed: deps.feed,
          maxEventsPerPost: deps.maxEventsPerPost,
          timeoutMs: deps.streamPrescriptionTimeoutMs,
          retention: deps.eventRetention,
        },
        request.projectId,
        request.events.map((event) => ({
          attributes: event.attributes,
          caseCompleted: event.caseCompleted,
        })),
        request.requestId,
      );
      return { eventIds };
    }),

    clearEvents: unary(logger, async (request) => {
      await clearEvents(db, deps.feed, request.projectId);
      return {};
    }),

    watchPrescriptions: (
      call: ServerWritableStream<WatchPrescriptionsRequest, WatchPrescriptionsResponse>,
    ) => {
      void streamEvents(call, deps);
    },

    simulateProject: (
      call: ServerWritableStream<SimulateProjectRequest, SimulateProjectResponse>,
    ) => {
      void streamSimulation(call, deps);
    },

    watchPrescriptionJob: (
      call: ServerWritableStream<WatchPrescriptionJobRequest, WatchPrescriptionJobResponse>,
    ) => {
      void streamJob(call, deps);
    },
  };
}

async function streamJob(
  call: ServerWritableStream<WatchPrescriptionJobRequest, WatchPrescriptionJobResponse>,
  deps: PrescriptionHandlerDeps,
): Promise<void> {
  deps.openStreams.add(call);
  const writer = new StreamWriter<WatchPrescriptionJobResponse>(call);
  const abort = new AbortController();
  const stop = () => abort.abort();
  call.once("cancelled", stop);
  call.once("close", stop);
  try {
    for await (const job of watchJob(deps.db, deps.feed, call.request.jobId, abort.signal)) {
      await writer.write({ job: toProtoJob(job) });
    }
    if (writer.isOpen) call.end();
  } catch (error) {
    if (writer.isOpen) endCall(call, toGrpcStatus(error, deps.logger));
  } finally {
    deps.openStreams.remove(call);
    abort.abort();
  }
}

async function streamEvents(
  call: ServerWritableStream<WatchPrescriptionsRequest, WatchPrescriptionsResponse>,
  deps: PrescriptionHandlerDeps,
): Promise<void> {
  deps.openStreams.add(call);
  const writer = new StreamWriter<WatchPrescriptionsResponse>(call);
  const abort = new AbortController();
  const stop = () => abort.abort();
  call.once("cancelled", stop);
  call.once("close", stop);
  try {
    const { projectId, afterEventId } = call.request;
    for await (const event of watchEvents(
      deps.db,
      deps.feed,
      projectId,
      afterEventId,
      abort.signal,
    )) {
      await writer.write({ event: toProtoPrescribedEvent(event) });
    }
    if (writer.isOpen) call.end();
  } catch (error) {
    if (writer.isOpen) endCall(call, toGrpcStatus(error, deps.logger));
  } finally {
    deps.openStreams.remove(call);
    abort.abort();
  }
}

async function streamSimulation(
  call: ServerWritableStream<SimulateProjectRequest, SimulateProjectResponse>,
  deps: PrescriptionHandlerDeps,
): Promise<void> {
  deps.openStreams.add(call);
  const writer = new StreamWriter<SimulateProjectResponse>(call);
  const abort = new AbortController();
  const stop = () => abort.abort();
  call.once("cancelled", stop);
  call.once("close", stop);
  try {
    const simulation = simulateProject(
      {
        db: deps.db,
        feed: deps.feed,
        maxEventsPerPost: deps.maxEventsPerPost,
        timeoutMs: deps.streamPrescriptionTimeoutMs,
        retention: deps.eventRetention,
      },
      {
        projectId: call.request.projectId,
        eventsPerSecond: call.request.eventsPerSecond,
        maxEvents: call.request.maxEvents,
      },
      abort.signal,
    );
    for await (const event of simulation) {
      await writer.write({ event: toProtoPrescribedEvent(event) });
    }
    if (writer.isOpen) call.end();
  } catch (error) {
    if (writer.isOpen) endCall(call, toGrpcStatus(error, deps.logger));
  } finally {
    deps.openStreams.remove(call);
    abort.abort();
  }
}
