/**
 * What the live-prescription benchmarks share: the plugin keys, the training set, the events
 * posted (round-robin over 1,000 cases), and small waiting helpers.
 */
import { loadavg } from "node:os";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import type { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { createProjectRequest } from "../../test/helpers/projects.js";
import { forkWorker, type Worker } from "./processes.js";

export const liveKeys = ["bench-live-a", "bench-live-b", "bench-live-c"];
const activities = ["register", "check", "review", "approve", "notify", "archive"];
export const liveCases = 1000;

export type Attributes = Record<string, string>;

export const uptime = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

export function unary<T>(
  start: (done: (error: Error | null, value: T) => void) => unknown,
): Promise<T> {
  return new Promise((resolve, reject) =>
    start((error, value) => (error ? reject(error) : resolve(value))),
  );
}

export async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${what} within ${timeoutMs} ms`);
}

/** The training set: 200 cases of 5 events, the columns the events are posted with. */
export function trainingCsv(): Buffer {
  const lines = ["case,activity,timestamp"];
  for (let c = 0; c < 200; c++) {
    for (let e = 0; e < 5; e++) {
      const at = new Date(Date.UTC(2023, 0, 1) + c * 60_000 + e * 3_600_000).toISOString();
      lines.push(`t${c},${activities[(c + e) % activities.length]},${at}`);
    }
  }
  return Buffer.from(`${lines.join("\n")}\n`);
}

/** The `n`-th event of a stream round-robin over `liveCases` cases named `prefix…`. */
export function eventAt(
  prefix: string,
  n: number,
): { attributes: Attributes; caseCompleted: boolean } {
  const c = n % liveCases;
  const e = Math.floor(n / liveCases);
  const at = new Date(Date.UTC(2024, 0, 1) + c * 1000 + e * 60_000).toISOString();
  return {
    attributes: {
      case: `${prefix}${c}`,
      activity: activities[(c + e) % activities.length] as string,
      timestamp: at,
    },
    caseCompleted: false,
  };
}

/** One SDK plugin process per live key, connected to `address` (trivial model, quiet). */
export function startLivePlugins(address: string): Worker<{ type: string }>[] {
  return liveKeys.map((key) => {
    const worker = forkWorker<{ type: string }>("prescription-plugin-worker.ts");
    worker.send({ type: "run", address, key, quiet: true });
    return worker;
  });
}

/** Stops the plugin processes (killed after 2 s if they linger). */
export function stopLivePlugins(plugins: readonly Worker<{ type: string }>[]): void {
  for (const worker of plugins) {
    worker.send({ type: "stop" });
    setTimeout(() => worker.kill(), 2000).unref();
  }
}

/** Waits until every live key has an instance connected to the core `client` talks to. */
export function waitForLivePlugins(client: ProjectServiceClient): Promise<void> {
  return waitFor(async () => {
    const listed = await unary<{ plugins: { key: string; instances: number }[] }>((done) =>
      client.listPlugins({}, done),
    );
    return liveKeys.every((key) => listed.plugins.some((p) => p.key === key && p.instances > 0));
  }, "the plugins did not register");
}

/** Creates the live project (columns inferred: case, activity, timestamp); its id once TRAINED. */
export async function createTrainedLiveProject(
  client: ProjectServiceClient,
  name: string,
): Promise<number> {
  const created = await unary<{ project?: { id: number } }>((done) =>
    client.createProject(
      createProjectRequest({
        name,
        datasetCsv: trainingCsv(),
        pluginKeys: liveKeys,
        holdoutFraction: 0,
        definition: {
          columns: {},
          caseAttributes: [],
          positiveOutcome: undefined,
          negativeOutcome: undefined,
          treatment: undefined,
        },
      }),
      done,
    ),
  );
  const projectId = created.project?.id as number;
  await waitFor(async () => {
    const got = await unary<{ project?: { status: ProjectStatus } }>((done) =>
      client.getProject({ projectId }, done),
    );
    return got.project?.status === ProjectStatus.PROJECT_STATUS_TRAINED;
  }, "the project was not TRAINED");
  return projectId;
}
