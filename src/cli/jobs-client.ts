/**
 * The CLI's view of PrescriptionService: promise-returning calls with a deadline, the watch
 * stream, failures turned into CliErrors as CoreClient does.
 */
import {
  type CallOptions,
  type ClientReadableStream,
  credentials,
  Metadata,
  type ServiceError,
} from "@grpc/grpc-js";
import type { Command } from "commander";
import {
  type Event,
  type ListPrescriptionJobsResponse,
  type ListPrescriptionsResponse,
  type PrescribeDatasetRequest,
  type PrescriptionJob,
  PrescriptionServiceClient,
  type SimulateProjectResponse,
  type WatchPrescriptionJobResponse,
  type WatchPrescriptionsResponse,
} from "../gen/trainingcore/v1/prescription_service.js";
import { bearerInterceptor } from "../sdk/bearer.js";
import { type CoreClient, defaultTimeoutSeconds } from "./client.js";
import { type GlobalOptions, withClient } from "./context.js";
import { CliError } from "./errors.js";

type Callback<Res> = (error: ServiceError | null, response: Res) => void;

export class JobsClient {
  private readonly client: PrescriptionServiceClient;

  constructor(
    private readonly core: CoreClient,
    /** Deadline of each unary call; 0: none. */
    private readonly timeoutSeconds: number,
  ) {
    this.client = new PrescriptionServiceClient(core.address, credentials.createInsecure(), {
      // A page of 1,000 cases with several plugins' prescriptions can exceed 4 MiB.
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      ...(core.token && { interceptors: [bearerInterceptor(core.token)] }),
    });
  }

  async prescribe(request: PrescribeDatasetRequest, timeoutSeconds?: number) {
    const response = await this.unary<{ job?: PrescriptionJob }>(
      (metadata, options, done) => this.client.prescribeDataset(request, metadata, options, done),
      timeoutSeconds,
    );
    return required(response.job, "PrescribeDataset");
  }

  async getJob(jobId: string): Promise<PrescriptionJob> {
    const response = await this.unary<{ job?: PrescriptionJob }>((metadata, options, done) =>
      this.client.getPrescriptionJob({ jobId }, metadata, options, done),
    );
    return required(response.job, "GetPrescriptionJob");
  }

  listJobs(projectId: number, pageSize: number, pageToken: string) {
    return this.unary<ListPrescriptionJobsResponse>((metadata, options, done) =>
      this.client.listPrescriptionJobs({ projectId, pageSize, pageToken }, metadata, options, done),
    );
  }

  listPrescriptions(jobId: string, pageSize: number, pageToken: string) {
    return this.unary<ListPrescriptionsResponse>((metadata, options, done) =>
      this.client.listPrescriptions({ jobId, pageSize, pageToken }, metadata, options, done),
    );
  }

  async deleteJob(jobId: string): Promise<void> {
    await this.unary<object>((metadata, options, done) =>
      this.client.deletePrescriptionJob({ jobId }, metadata, options, done),
    );
  }

  async postEvents(projectId: number, events: Event[], requestId: string): Promise<number[]> {
    const response = await this.unary<{ eventIds: number[] }>((metadata, options, done) =>
      this.client.postEvents({ projectId, events, requestId }, metadata, options, done),
    );
    return response.eventIds;
  }

  /** The WatchPrescriptions stream: no deadline (it never ends by itself). */
  watchEvents(
    projectId: number,
    afterEventId: number,
  ): ClientReadableStream<WatchPrescriptionsResponse> {
    return this.client.watchPrescriptions({ projectId, afterEventId }, new Metadata(), {});
  }

  /** The SimulateProject stream: no deadline (it ends once every replayed event came back). */
  simulate(
    projectId: number,
    eventsPerSecond: number,
    maxEvents: number,
  ): ClientReadableStream<SimulateProjectResponse> {
    return this.client.simulateProject(
      { projectId, eventsPerSecond, maxEvents },
      new Metadata(),
      {},
    );
  }

  /** The WatchPrescriptionJob stream: no deadline (it ends by itself once the job finished). */
  watch(jobId: string): ClientReadableStream<WatchPrescriptionJobResponse> {
    return this.client.watchPrescriptionJob({ jobId }, new Metadata(), {});
  }

  failure(error: unknown, timeoutSeconds = this.timeoutSeconds): CliError {
    return this.core.failure(error, timeoutSeconds, this.client.getChannel());
  }

  close(): void {
    this.client.close();
  }

  private unary<Res>(
    invoke: (metadata: Metadata, options: Partial<CallOptions>, callback: Callback<Res>) => void,
    timeoutSeconds = this.timeoutSeconds,
  ): Promise<Res> {
    const options: Partial<CallOptions> =
      timeoutSeconds > 0 ? { deadline: Date.now() + timeoutSeconds * 1000 } : {};
    return new Promise((resolve, reject) => {
      invoke(new Metadata(), options, (error, response) =>
        error ? reject(this.failure(error, timeoutSeconds)) : resolve(response),
      );
    });
  }
}

function required(job: PrescriptionJob | undefined, method: string): PrescriptionJob {
  if (!job) throw new CliError(`${method} returned no job`);
  return job;
}

/** Runs an action with a PrescriptionService client (see withClient); closed afterwards. */
export async function withJobsClient(
  command: Command,
  action: (
    jobs: JobsClient,
    core: CoreClient,
    options: GlobalOptions,
  ) => Promise<number | undefined>,
): Promise<void> {
  await withClient(command, async (core, options) => {
    const jobs = new JobsClient(core, options.timeout ?? defaultTimeoutSeconds);
    try {
      return await action(jobs, core, options);
    } finally {
      jobs.close();
    }
  });
}
