/**
 * The `streaming` benchmark's cross-replica phase (PostgreSQL): three core replicas on one
 * database; events are posted to the first, the plugins (3 keys × 1 SDK instance) are connected
 * to the second, the reader watches on the third. One event per PostEvents call at
 * `--replica-rate` events/s (default 50) for `--latency-seconds`: from PostEvents returning on
 * replica A to the event arriving, fully prescribed, at the reader on replica C.
 */
import { credentials } from "@grpc/grpc-js";
import {
  type PostEventsResponse,
  type PrescribedEvent,
  PrescriptionServiceClient,
} from "../src/gen/trainingcore/v1/prescription_service.js";
import { ProjectServiceClient } from "../src/gen/trainingcore/v1/project_service.js";
import type { BenchArgs } from "./lib/args.js";
import {
  createTrainedLiveProject,
  eventAt,
  liveKeys,
  startLivePlugins,
  stopLivePlugins,
  unary,
  uptime,
  waitFor,
  waitForLivePlugins,
} from "./lib/live-stream.js";
import { type CoreChild, startCoreChild, type Worker } from "./lib/processes.js";
import { summary, wallMs } from "./lib/report.js";

export interface CrossReplicaResult {
  readonly rate: number;
  readonly events: number;
  readonly missed: number;
  readonly fullyPrescribed: number;
  readonly arrivalMs: ReturnType<typeof summary>;
  readonly load: string;
}

export async function crossReplicaRun(args: BenchArgs, url: string): Promise<CrossReplicaResult> {
  const rate = Number(args.values["replica-rate"] ?? 50);
  const seconds = Number(args.values["latency-seconds"] ?? 5);
  const cores: CoreChild[] = [];
  const plugins: Worker<{ type: string }>[] = [];
  const creds = credentials.createInsecure();
  const clients: { close(): void }[] = [];
  try {
    for (let i = 0; i < 3; i++) cores.push(await startCoreChild({ databaseUrl: url }));
    const [postTo, pluginsOn, readOn] = cores as [CoreChild, CoreChild, CoreChild];
    const projects = new ProjectServiceClient(postTo.address, creds);
    const pluginSide = new ProjectServiceClient(pluginsOn.address, creds);
    const poster = new PrescriptionServiceClient(postTo.address, creds);
    const reader = new PrescriptionServiceClient(readOn.address, creds);
    clients.push(projects, pluginSide, poster, reader);
    plugins.push(...startLivePlugins(pluginsOn.address));
    await waitForLivePlugins(pluginSide);
    const projectId = await createTrainedLiveProject(projects, "streaming bench, replicas");

    const arrivals = new Map<number, number>();
    let fullyPrescribed = 0;
    const stream = reader.watchPrescriptions({ projectId, afterEventId: 0 });
    stream.on("data", (message: { event?: PrescribedEvent }) => {
      const event = message.event;
      if (!event) return;
      arrivals.set(Number(event.eventId), wallMs());
      if (event.missing.length === 0 && liveKeys.every((k) => event.prescriptions[k]?.output)) {
        fullyPrescribed++;
      }
    });
    stream.on("error", () => {});

    const returned = new Map<number, number>();
    const total = Math.round(rate * seconds);
    const started = wallMs();
    const pending: Promise<void>[] = [];
    for (let n = 0; n < total; n++) {
      const wait = started + (n * 1000) / rate - wallMs();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      pending.push(
        unary<PostEventsResponse>((done) =>
          poster.postEvents({ projectId, events: [eventAt("x", n)], requestId: `x-${n}` }, done),
        ).then((response) => {
          returned.set(Number(response.eventIds[0]), wallMs());
        }),
      );
    }
    await Promise.all(pending);
    await waitFor(
      () => [...returned.keys()].every((id) => arrivals.has(id)),
      "the reader on the third replica did not see every event",
      120_000,
    );
    stream.cancel();
    const samples = [...returned].map(([id, at]) => (arrivals.get(id) as number) - at);
    return {
      rate,
      events: total,
      missed: total - samples.length,
      fullyPrescribed,
      arrivalMs: summary(samples),
      load: uptime(),
    };
  } finally {
    stopLivePlugins(plugins);
    for (const client of clients) client.close();
    await Promise.all(cores.map((core) => core.stop()));
  }
}
