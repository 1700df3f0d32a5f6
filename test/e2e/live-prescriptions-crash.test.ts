/**
 * The core killed with SIGKILL while events are posted (retried with their request_id until
 * acked) and watched by two readers that reconnect with their cursor, an SDK plugin answering
 * across the restart: afterwards every acked event appears on both readers exactly once, in
 * order, each with the plugin's prescription or a stated miss. Both databases.
 */
import { credentials, type ServiceError } from "@grpc/grpc-js";
import { pino } from "pino";
import { afterEach, expect, it } from "vitest";
import {
  type PrescribedEvent,
  PrescriptionServiceClient,
} from "../../src/gen/trainingcore/v1/prescription_service.js";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { ProjectServiceClient } from "../../src/gen/trainingcore/v1/project_service.js";
import { runPlugin } from "../../src/sdk/index.js";
import { type CoreProcess, spawnCore } from "../helpers/core-process.js";
import {
  createTestDatabaseUrl,
  describeEachDialect,
  freePort,
  type TestDatabase,
} from "../helpers/databases.js";
import { event, post } from "../helpers/live-prescriptions.js";
import { runningLog, runningLogDefinition } from "../helpers/prescription-jobs.js";
import { createProject, getProject } from "../helpers/projects.js";
import { fastReconnectOptions } from "../helpers/resilient-plugin.js";
import { fastReconnect, identity } from "../helpers/sdk-plugins.js";

const batches = 30;
const perBatch = 20;
const key = "crash-live";

describeEachDialect("live prescriptions: the core killed with SIGKILL mid-stream", (dialect) => {
  let database: TestDatabase | undefined;
  let core: CoreProcess | undefined;
  const stops: (() => unknown)[] = [];

  afterEach(async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
    core?.child.kill("SIGKILL");
    if (core) await core.exited;
    await database?.drop();
  });

  it("loses no acked event and shows each once to each reader, with a prescription or a miss", async () => {
    database = await createTestDatabaseUrl(dialect);
    const port = await freePort();
    const url = database.url;
    core = await spawnCore(url, port, { CORE_STREAM_PRESCRIPTION_TIMEOUT_MS: "3000" });
    const address = core.address;
    const controller = new AbortController();
    const plugin = runPlugin({
      address,
      report: identity(key),
      reconnect: fastReconnect,
      signal: controller.signal,
      logger: pino({ level: "silent" }),
      onTrainingData: async (job, ctx) => {
        await ctx.accept();
        await ctx.started();
        await ctx.trained(`model-${job.pluginId}`);
      },
      onPrescription: async (request, ctx) => {
        const running = request.case;
        if (running) await ctx.answer(running.caseId, { type: "N", output: running.events.length });
      },
      prescriptionConcurrency: 8,
    });
    stops.push(async () => {
      controller.abort();
      await plugin.catch(() => {});
    });
    const projects = new ProjectServiceClient(
      address,
      credentials.createInsecure(),
      fastReconnectOptions,
    );
    const client = new PrescriptionServiceClient(
      address,
      credentials.createInsecure(),
      fastReconnectOptions,
    );
    stops.push(
      () => projects.close(),
      () => client.close(),
    );
    // The key is known once the plugin registered: until then CreateProject refuses it.
    await expect
      .poll(
        () =>
          createProject(projects, {
            datasetCsv: Buffer.from(runningLog),
            holdoutFraction: 0,
            pluginKeys: [key],
            definition: runningLogDefinition,
            requestId: "crash-project",
          }).catch(() => undefined),
        { timeout: 15_000 },
      )
      .toBeDefined();
    // The same request_id: the project created above.
    const created = await createProject(projects, {
      datasetCsv: Buffer.from(runningLog),
      holdoutFraction: 0,
      pluginKeys: [key],
      definition: runningLogDefinition,
      requestId: "crash-project",
    });
    await expect
      .poll(async () => (await getProject(projects, created.id)).status, { timeout: 20_000 })
      .toBe(ProjectStatus.PROJECT_STATUS_TRAINED);

    // Two readers that reconnect with their cursor whenever their stream ends.
    const readers = [0, 1].map(() => {
      const seen: PrescribedEvent[] = [];
      let stopped = false;
      let current: { cancel(): void } | undefined;
      const run = async () => {
        while (!stopped) {
          const cursor = seen.at(-1)?.eventId ?? 0;
          await new Promise<void>((resolve) => {
            const stream = client.watchPrescriptions({
              projectId: created.id,
              afterEventId: cursor,
            });
            current = stream;
            stream.on("data", (m: { event?: PrescribedEvent }) => {
              if (m.event) seen.push(m.event);
            });
            stream.on("error", () => resolve());
            stream.on("end", () => resolve());
          });
          if (!stopped) await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const done = run();
      stops.push(async () => {
        stopped = true;
        current?.cancel();
        await done;
      });
      return seen;
    });

    const acked: number[] = [];
    for (let b = 0; b < batches; b++) {
      const events = Array.from({ length: perBatch }, (_, i) =>
        event(
          `case-${(b * perBatch + i) % 37}`,
          "step",
          new Date(Date.UTC(2024, 0, 1, 0, b, i)).toISOString(),
        ),
      );
      for (;;) {
        try {
          acked.push(...(await post(client, created.id, events, `batch-${b}`)));
          break;
        } catch (error) {
          if ((error as ServiceError).code === undefined) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      if (b === Math.floor(batches / 2)) {
        core.child.kill("SIGKILL");
        await core.exited;
        core = await spawnCore(url, port, { CORE_STREAM_PRESCRIPTION_TIMEOUT_MS: "3000" });
      }
    }
    expect(new Set(acked).size).toBe(batches * perBatch);
    for (const seen of readers) {
      await expect
        .poll(() => seen.length, { timeout: 60_000 })
        .toBeGreaterThanOrEqual(acked.length);
      expect(seen.map((e) => e.eventId)).toEqual(acked);
      for (const e of seen) {
        const p = e.prescriptions[key];
        expect(p).toBeDefined();
        if (e.missing.includes(key)) expect(p?.detail).not.toBe("");
        else expect(typeof p?.output).toBe("number");
      }
    }
  });
});
