// Live prescriptions in tests: a TRAINED event-log project with its plugins, PostEvents and a
// WatchPrescriptions reader whose events arrive in a queue.
import type { ClientReadableStream } from "@grpc/grpc-js";
import type { EventLogDefinition } from "../../src/gen/trainingcore/v1/definition.js";
import type { CasePrescription } from "../../src/gen/trainingcore/v1/prescription.js";
import type {
  Event,
  PostEventsResponse,
  PrescribedEvent,
  PrescriptionServiceClient,
  WatchPrescriptionsResponse,
} from "../../src/gen/trainingcore/v1/prescription_service.js";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { AsyncQueue } from "./async-queue.js";
import type { FreshCore } from "./fresh-core.js";
import type { TestPlugin } from "./plugin-client.js";
import { call, jobsClient, runningLog, runningLogDefinition } from "./prescription-jobs.js";
import { createProject, getProject, watchToEnd } from "./projects.js";

export interface LiveProject {
  readonly projectId: number;
  readonly client: PrescriptionServiceClient;
  /** One instance per key, each trained its membership. */
  readonly plugins: Map<string, TestPlugin>;
}

/** A project of the running log's columns, TRAINED by one prescribing instance per key. */
export async function liveProject(
  env: FreshCore,
  keys: readonly string[],
  options: {
    dataset?: string | Buffer;
    holdoutFraction?: number;
    /** Default: the running log's definition. */
    definition?: EventLogDefinition;
  } = {},
): Promise<LiveProject> {
  const plugins = new Map<string, TestPlugin>();
  for (const key of keys) plugins.set(key, await env.connect(key, { prescribes: true }));
  const created = await createProject(env.core.projects, {
    datasetCsv: Buffer.from(options.dataset ?? runningLog),
    holdoutFraction: options.holdoutFraction ?? 0,
    pluginKeys: [...keys],
    definition: options.definition ?? runningLogDefinition,
  });
  for (const plugin of plugins.values()) await plugin.train(await plugin.trainingData.next());
  await watchToEnd(env.core.projects, created.id);
  const project = await getProject(env.core.projects, created.id);
  if (project.status !== ProjectStatus.PROJECT_STATUS_TRAINED) {
    throw new Error(`the project is ${ProjectStatus[project.status]}: ${project.error}`);
  }
  return { projectId: created.id, client: jobsClient(env), plugins };
}

/** An event of the running log's columns. */
export function event(
  caseId: string,
  activity: string,
  timestamp: string,
  caseCompleted = false,
): Event {
  return { attributes: { case: caseId, activity, timestamp, who: "ann" }, caseCompleted };
}

export async function post(
  client: PrescriptionServiceClient,
  projectId: number,
  events: Event[],
  requestId = "",
): Promise<number[]> {
  const response = await call<PostEventsResponse>((done) =>
    client.postEvents({ projectId, events, requestId }, done),
  );
  return response.eventIds;
}

/** A WatchPrescriptions reader: its events in a queue; `cancel()` ends it. */
export function watch(
  client: PrescriptionServiceClient,
  projectId: number,
  afterEventId = 0,
): { events: AsyncQueue<PrescribedEvent>; cancel(): void; stream: ClientReadableStream<unknown> } {
  const events = new AsyncQueue<PrescribedEvent>();
  const stream = client.watchPrescriptions({ projectId, afterEventId });
  stream.on("data", (message: WatchPrescriptionsResponse) => {
    if (message.event) events.push(message.event);
  });
  stream.on("error", () => {});
  return { events, cancel: () => stream.cancel(), stream };
}

/** The answer to a live request: one prescription for its case, last. */
export function answerFor(caseId: string, output: unknown): CasePrescription[] {
  return [{ caseId, prescription: { type: "NEXT_ACTIVITY", output, detail: "", model: {} } }];
}
