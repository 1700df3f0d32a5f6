/**
 * The TypeScript plugin SDK (and the next-activity example built on it) against the real core,
 * on SQLite and PostgreSQL.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { beforeEach, expect, it } from "vitest";
import {
  endMarker,
  type NextActivityModel,
  startNextActivityPlugin,
} from "../../examples/plugins/next-activity/plugin.js";
import {
  ColumnDefinition,
  type EventLogDefinition,
  Operator,
} from "../../src/gen/trainingcore/v1/definition.js";
import { PluginStatus, ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { type RunPluginOptions, runPlugin, type TrainingJob } from "../../src/sdk/index.js";
import { AsyncQueue } from "../helpers/async-queue.js";
import { describeEachDialect, freePort } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import { createProject, getProject, watchToEnd } from "../helpers/projects.js";

const receiptPath = fileURLToPath(new URL("../../../shared/data/receipt.csv", import.meta.url));
const fastReconnect = { initialDelayMs: 20, maxDelayMs: 200 };

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A pino logger whose records can be awaited by message. */
function recordingLogger() {
  const records = new AsyncQueue<Record<string, unknown>>();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split("\n")) if (line) records.push(JSON.parse(line));
      callback();
    },
  });
  return {
    logger: pino({ level: "debug" }, sink),
    async waitFor(match: (record: Record<string, unknown>) => boolean, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const record = await records.next(Math.max(1, deadline - Date.now()));
        if (match(record)) return record;
      }
    },
  };
}

describeEachDialect("plugin SDK against the core", (dialect) => {
  const env = freshCorePerTest(dialect, { onlineInquiryIntervalMs: 200 });
  let modelDir: string;

  beforeEach(async () => {
    const dir = await mkdtemp(join(tmpdir(), "training-core-models-"));
    modelDir = dir;
    // Tracked first, so removed last: after the plugins that write to it have stopped.
    env.track({ close: () => rm(dir, { recursive: true, force: true }) });
  });

  /** Stops a running plugin after the test (and waits until it has). */
  function stopAfterTest(controller: AbortController, done: Promise<void>): void {
    env.track({
      close: () => {
        controller.abort();
        return done;
      },
    });
  }

  /** A plugin key must be known to the core before a project can name it. */
  async function makeKnown(key: string): Promise<void> {
    const plugin = await TestPlugin.connect(env.core.address, key);
    plugin.close();
    await plugin.ended;
  }

  function start(options: Omit<RunPluginOptions, "address" | "signal">): void {
    const controller = new AbortController();
    const done = runPlugin({
      address: env.core.address,
      reconnect: fastReconnect,
      signal: controller.signal,
      ...options,
    });
    stopAfterTest(controller, done);
  }

  /** Starts the next-activity example (plugin key `plugin-next-activity`). */
  async function startExample(): Promise<string> {
    const key = "plugin-next-activity";
    await makeKnown(key);
    const controller = new AbortController();
    const done = startNextActivityPlugin({
      address: env.core.address,
      modelDir,
      signal: controller.signal,
      reconnect: fastReconnect,
    });
    stopAfterTest(controller, done);
    return key;
  }

  function identity(key: string) {
    return { id: key, name: `SDK plugin ${key}`, type: "test", description: "e2e" };
  }

  it("SDK plugins take several projects to TRAINED", async () => {
    const calls: Record<string, number[]> = { "sdk-a": [], "sdk-b": [] };
    for (const key of ["sdk-a", "sdk-b"]) {
      await makeKnown(key);
      start({
        report: { ...identity(key), parameters: { k: 3 } },
        concurrency: key === "sdk-a" ? 2 : 1,
        onTrainingData: async (job, ctx) => {
          calls[key]?.push(job.pluginId);
          const parts: Buffer[] = [];
          for await (const chunk of ctx.download()) parts.push(chunk);
          const csv = Buffer.concat(parts).toString();
          if (!csv.startsWith("case,activity,time\n")) throw new Error(`unexpected CSV: ${csv}`);
          await ctx.accept();
          await ctx.started();
          await ctx.trained(`${key}-${job.pluginId}-k${String(job.parameters.k)}.model`);
        },
      });
    }
    const projects = [];
    for (let i = 0; i < 3; i++) {
      projects.push(
        await createProject(env.core.projects, {
          name: `sdk ${i}`,
          pluginKeys: ["sdk-a", "sdk-b"],
          parameters: { "sdk-b": { k: 7 } },
          datasetId: "",
        }),
      );
    }
    for (const project of projects) {
      await watchToEnd(env.core.projects, project.id);
      const done = await getProject(env.core.projects, project.id);
      expect(done.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
      expect(done.plugins.map((p) => [p.key, p.status, p.modelName])).toEqual(
        done.plugins.map((p) => [
          p.key,
          PluginStatus.PLUGIN_STATUS_TRAINED,
          `${p.key}-${p.pluginId}-k${p.key === "sdk-b" ? 7 : 3}.model`,
        ]),
      );
    }
    expect(calls["sdk-a"]).toHaveLength(3);
    expect(calls["sdk-b"]).toHaveLength(3);
  });

  it("given several addresses, moves on from the ones that do not answer", async () => {
    const key = "sdk-multi";
    await makeKnown(key);
    const dead = await Promise.all([freePort(), freePort()]);
    const trained: number[] = [];
    const controller = new AbortController();
    stopAfterTest(
      controller,
      runPlugin({
        address: [...dead.map((port) => `127.0.0.1:${port}`), env.core.address],
        reconnect: fastReconnect,
        signal: controller.signal,
        report: identity(key),
        onTrainingData: async (job, ctx) => {
          await ctx.accept();
          await ctx.started();
          await ctx.trained(`${key}.model`);
          trained.push(job.projectId);
        },
      }),
    );
    const project = await createProject(env.core.projects, { pluginKeys: [key] });
    const events = await watchToEnd(env.core.projects, project.id);
    expect(events.at(-1)?.projectStatus).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(trained).toEqual([project.id]);
  });

  it("the next-activity example trains on receipt.csv", async (ctx) => {
    ctx.skip(!existsSync(receiptPath), `${receiptPath} not found: receipt.csv case skipped`);
    // Preprocessing this file keeps the core busy for a while; with the short inquiry interval
    // the core would count the plugin offline meanwhile and hold its TrainingData back (see
    // the SDK notes), so this case runs on a core with the default interval.
    await env.start({});
    const key = await startExample();
    const created = await createProject(env.core.projects, {
      name: "receipt",
      datasetCsv: await readFile(receiptPath),
      pluginKeys: [key],
      datasetId: "",
    });
    await watchToEnd(env.core.projects, created.id);
    const project = await getProject(env.core.projects, created.id);
    expect(project.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    const plugin = project.plugins[0];
    expect(plugin?.modelName).toBe(`next-activity-${project.id}-${plugin?.pluginId}.json`);

    const model = JSON.parse(
      await readFile(join(modelDir, plugin?.modelName ?? ""), "utf8"),
    ) as NextActivityModel;
    expect(model).toMatchObject({
      type: "next-activity",
      projectId: project.id,
      pluginId: plugin?.pluginId,
      columns: { case: "case:concept:name", activity: "concept:name", timestamp: "time:timestamp" },
    });
    const counts = Object.values(model.next).flatMap((followers) => Object.values(followers));
    const total = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(counts.every((n) => Number.isInteger(n) && n > 0)).toBe(true);
    // Every event has exactly one successor (or ends its case), and every case ends once.
    expect(model.events).toBe(project.dataset?.trainingRows);
    expect(total(counts)).toBe(model.events);
    const ends = Object.values(model.next).map((followers) => followers[endMarker] ?? 0);
    expect(total(ends)).toBe(model.cases);
    expect(total(Object.values(model.start))).toBe(model.cases);
    expect(model.cases).toBeGreaterThan(0.7 * (project.dataset?.cases ?? 0));
    expect(model.cases).toBeLessThan(project.dataset?.cases ?? 0);
    // The receipt process: a confirmation of receipt is checked next, far more often than not.
    const afterReceipt = model.next["Confirmation of receipt"] ?? {};
    expect(Object.keys(afterReceipt)[0]).toBe("T02 Check confirmation of receipt");
    expect(Object.keys(model.start)[0]).toBe("Confirmation of receipt");
  });

  it("the next-activity example reports a dataset without event-log columns not applicable", async () => {
    const key = await startExample();
    const created = await createProject(env.core.projects, {
      name: "no event log",
      datasetCsv: Buffer.from("id,amount,label\n1,10,a\n2,20,b\n3,30,a\n"),
      pluginKeys: [key],
      datasetId: "",
    });
    const events = await watchToEnd(env.core.projects, created.id);
    expect(events.at(-1)).toMatchObject({
      projectStatus: ProjectStatus.PROJECT_STATUS_ERROR,
      detail: "no plugin is applicable",
    });
    const project = await getProject(env.core.projects, created.id);
    expect(project.plugins.map((p) => p.status)).toEqual([
      PluginStatus.PLUGIN_STATUS_NOT_APPLICABLE,
    ]);
    expect(await readdir(modelDir)).toEqual([]);
  });

  /** A log whose column names nothing guesses: only its definition says what they are. */
  const ticketLog = [
    "ticket,step,at,agent",
    "t1,open,2024-01-01T10:00:00+02:00,ann",
    "t2,open,2024-01-02T10:00:00Z,bob",
    "t1,close,2024-01-01T09:30:00Z,ann", // after "open" (08:00 UTC), though listed later
    "t2,escalate,2024-01-02T11:00:00Z,bob",
    "t2,close,2024-01-02T12:00:00Z,cid",
    "",
  ].join("\n");
  const ticketDefinition: EventLogDefinition = {
    columns: {
      ticket: ColumnDefinition.COLUMN_DEFINITION_CASE_ID,
      step: ColumnDefinition.COLUMN_DEFINITION_ACTIVITY,
      at: ColumnDefinition.COLUMN_DEFINITION_TIMESTAMP,
    },
    caseAttributes: [],
    positiveOutcome: undefined,
    negativeOutcome: {
      anyOf: [
        {
          conditions: [{ column: "step", operator: Operator.OPERATOR_EQUAL, value: "escalate" }],
        },
      ],
    },
    treatment: undefined,
  };

  it("an SDK plugin gets the project's effective definition, and none without one", async () => {
    const key = "sdk-definition";
    await makeKnown(key);
    const jobs = new AsyncQueue<TrainingJob>();
    start({
      report: identity(key),
      onTrainingData: async (job, ctx) => {
        jobs.push(job);
        await ctx.reject();
      },
    });
    await createProject(env.core.projects, {
      datasetCsv: Buffer.from(ticketLog),
      holdoutFraction: 0,
      pluginKeys: [key],
      definition: ticketDefinition,
    });
    expect((await jobs.next()).definition).toEqual({
      // `agent` is inferred: a resource-like name.
      columns: { ticket: "CASE_ID", step: "ACTIVITY", at: "TIMESTAMP", agent: "RESOURCE" },
      caseAttributes: [],
      negativeOutcome: {
        anyOf: [{ conditions: [{ column: "step", operator: "EQUAL", value: "escalate" }] }],
      },
    });
    await createProject(env.core.projects, { pluginKeys: [key] });
    expect((await jobs.next()).definition).toBeUndefined();
  });

  it("the next-activity example reads the fixed columns of a project with a definition", async () => {
    const key = await startExample();
    const created = await createProject(env.core.projects, {
      datasetCsv: Buffer.from(ticketLog),
      holdoutFraction: 0,
      pluginKeys: [key],
      definition: ticketDefinition,
    });
    await watchToEnd(env.core.projects, created.id);
    const project = await getProject(env.core.projects, created.id);
    const plugin = project.plugins[0];
    expect(plugin?.status, plugin?.error).toBe(PluginStatus.PLUGIN_STATUS_TRAINED);
    const model = JSON.parse(
      await readFile(join(modelDir, plugin?.modelName ?? ""), "utf8"),
    ) as NextActivityModel;
    expect(model).toMatchObject({
      columns: { case: "CASE_ID", activity: "ACTIVITY", timestamp: "TIMESTAMP" },
      cases: 2,
      events: 5,
      start: { open: 2 },
      next: { open: { close: 1, escalate: 1 }, escalate: { close: 1 }, close: { [endMarker]: 2 } },
    });
  });

  it("reconnects after a core restart, re-sends what was not acked and finishes the jobs", async () => {
    const key = "sdk-restart";
    await makeKnown(key);
    const log = recordingLogger();
    const arrivals = new AsyncQueue<TrainingJob>();
    const calls: number[] = [];
    const firstStarted = deferred();
    const gates = [deferred(), deferred()];
    const reports: Promise<void>[] = [];
    start({
      report: identity(key),
      concurrency: 2,
      logger: log.logger,
      onTrainingData: async (job, ctx) => {
        const turn = calls.push(job.pluginId) - 1;
        arrivals.push(job);
        if (turn === 0) {
          // Job A: training when the core stops; reports the model while the core is down.
          await ctx.accept();
          await ctx.started();
          firstStarted.resolve();
          await gates[0]?.promise;
        } else {
          // Job B: still WAITING when the core stops, so the core offers it again.
          await gates[1]?.promise;
          await ctx.accept();
          await ctx.started();
        }
        const trained = ctx.trained(`model-${job.pluginId}`);
        reports.push(trained);
        await trained;
      },
    });
    const created = [
      await createProject(env.core.projects, {
        name: "restart 1",
        pluginKeys: [key],
        datasetId: "",
      }),
      await createProject(env.core.projects, {
        name: "restart 2",
        pluginKeys: [key],
        datasetId: "",
      }),
    ];
    const a = await arrivals.next();
    const b = await arrivals.next();
    await firstStarted.promise;

    const port = env.core.core.port;
    await env.core.stop();
    gates[0]?.resolve(); // A's ModelName is made while the core is down
    await env.start({ port, onlineInquiryIntervalMs: 200 });

    await log.waitFor(
      (r) => r.msg === "ignoring a repeated TrainingData" && r.pluginId === b.pluginId,
    );
    gates[1]?.resolve();
    for (const project of created) {
      await watchToEnd(env.core.projects, project.id);
      expect((await getProject(env.core.projects, project.id)).status).toBe(
        ProjectStatus.PROJECT_STATUS_TRAINED,
      );
    }
    await Promise.all(reports);
    expect(calls).toEqual([a.pluginId, b.pluginId]); // each job ran once
    const byPlugin = new Map(
      (await Promise.all(created.map((p) => getProject(env.core.projects, p.id))))
        .flatMap((p) => p.plugins)
        .map((p) => [p.pluginId, p.modelName]),
    );
    expect(byPlugin.get(a.pluginId)).toBe(`model-${a.pluginId}`);
    expect(byPlugin.get(b.pluginId)).toBe(`model-${b.pluginId}`);
  });
});
