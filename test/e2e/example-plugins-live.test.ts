/**
 * The example plugins answer live requests on the real core (SQLite and PostgreSQL): events
 * posted with PostEvents come back on WatchPrescriptions with each example's prescription (the
 * next activity after the case's last one; the probability of a negative outcome), and each
 * instance loads a project's model once, not per event: from its MODEL_DIR when it trained it,
 * else downloaded from the core once.
 *
 * The Python examples need Debian's python3-grpcio and python3-protobuf (and python3-sklearn for
 * the alarm) in /usr/bin/python3: skipped with the reason in the test's name without them,
 * except on CI (CI set), where they fail.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { expect, it } from "vitest";
import { startNextActivityPlugin } from "../../examples/plugins/next-activity/plugin.js";
import {
  ColumnDefinition,
  type EventLogDefinition,
  Operator,
} from "../../src/gen/trainingcore/v1/definition.js";
import type {
  Event,
  PrescribedEvent,
  PrescriptionServiceClient,
} from "../../src/gen/trainingcore/v1/prescription_service.js";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { describeEachDialect } from "../helpers/databases.js";
import { type FreshCore, freshCorePerTest } from "../helpers/fresh-core.js";
import { event, post, watch } from "../helpers/live-prescriptions.js";
import { jobsClient } from "../helpers/prescription-jobs.js";
import { createProject, getProject, watchToEnd } from "../helpers/projects.js";
import {
  alarmKey,
  exampleDir,
  itOrFailOnCi,
  noPython,
  PythonPlugin,
  polyglotPluginsPerTest,
  python,
  pythonKey,
  succeeds,
  typescriptKey,
  waitUntilOnline,
} from "../helpers/python-plugins.js";
import { fastReconnect } from "../helpers/sdk-plugins.js";

const noSklearn =
  noPython ??
  (succeeds(python, ["-c", "import sklearn"])
    ? undefined
    : `${python} cannot import sklearn (apt-get install python3-sklearn)`);
if (noSklearn) {
  console.warn(`[example-plugins-live] ${process.env.CI ? "failing" : "skipping"}: ${noSklearn}`);
}

const hour = 3_600_000;
const t0 = Date.UTC(2024, 0, 1, 8);
const at = (ms: number) => new Date(ms).toISOString();

/**
 * 30 tickets: register, then check (an hour later) or, every third one, escalate (five hours
 * later), then close. After "register": check 20 times, escalate 10.
 */
const ticketLog = (() => {
  const lines = ["case,activity,timestamp,who"];
  for (let i = 0; i < 30; i++) {
    const start = t0 + i * 24 * hour;
    const escalates = i % 3 === 1;
    const second = escalates ? ["escalate", 5 * hour] : ["check", hour];
    lines.push(`t${i},register,${at(start)},ann`);
    lines.push(`t${i},${second[0]},${at(start + (second[1] as number))},bob`);
    lines.push(`t${i},close,${at(start + 6 * hour)},ann`);
  }
  return `${lines.join("\n")}\n`;
})();

/** A ticket is negative when it was escalated (the alarm learns that). */
const ticketDefinition: EventLogDefinition = {
  columns: { who: ColumnDefinition.COLUMN_DEFINITION_RESOURCE },
  caseAttributes: [],
  positiveOutcome: undefined,
  negativeOutcome: {
    anyOf: [
      {
        conditions: [{ column: "ACTIVITY", operator: Operator.OPERATOR_EQUAL, value: "escalate" }],
      },
    ],
  },
  treatment: undefined,
};

const live = t0 + 1_000 * 24 * hour;
/** Posted events, one running case after another's events (ids in posting order). */
const firstEvents: Event[] = [
  event("r1", "register", at(live)),
  event("r2", "register", at(live + hour)),
  event("r1", "check", at(live + 2 * hour)),
  event("r2", "escalate", at(live + 6 * hour)),
  event("r3", "reopen", at(live + 7 * hour)),
  event("r1", "close", at(live + 8 * hour)),
];

/** The next-activity examples' answers to `firstEvents`, in order. */
function nextActivities(modelName: string) {
  const model = { name: modelName, cases: 30 };
  const next = (output: unknown, detail = "") => ({ type: "NEXT_ACTIVITY", output, detail, model });
  return [
    next({ activity: "check", probability: 2 / 3 }),
    next({ activity: "check", probability: 2 / 3 }),
    next({ activity: "close", probability: 1 }),
    next({ activity: "close", probability: 1 }),
    next(null, 'activity "reopen" was never seen in training'),
    next(null, 'cases always ended after "close" in training'),
  ];
}

/** A TRAINED project of the ticket log for `keys` (plugins online already). */
async function trainedTickets(env: FreshCore, keys: string[], logs: () => string) {
  const created = await createProject(env.core.projects, {
    datasetCsv: Buffer.from(ticketLog),
    holdoutFraction: 0,
    pluginKeys: keys,
    definition: ticketDefinition,
  });
  await watchToEnd(env.core.projects, created.id);
  const project = await getProject(env.core.projects, created.id);
  expect(project.status, `${project.error}\n${logs()}`).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
  const models = new Map(project.plugins.map((p) => [p.key, p]));
  return { projectId: created.id, models };
}

/** Posts `events` and reads them back from a WatchPrescriptions reader, complete. */
async function postAndWatch(
  client: PrescriptionServiceClient,
  projectId: number,
  events: Event[],
  afterEventId = 0,
): Promise<PrescribedEvent[]> {
  const reader = watch(client, projectId, afterEventId);
  try {
    const ids = await post(client, projectId, events);
    const seen: PrescribedEvent[] = [];
    for (const _ of ids) seen.push(await reader.events.next(20_000));
    expect(seen.map((e) => e.eventId)).toEqual(ids);
    return seen;
  } finally {
    reader.cancel();
  }
}

/** The alarm model's own probability of a negative outcome for these prefixes (by alarm.py). */
function alarmProbabilities(path: string, prefixes: [string, number][][]): number[] {
  const script = [
    "import json, sys, alarm, event_log",
    "model = alarm.load_model(sys.argv[1])",
    "prefixes = json.loads(sys.argv[2])",
    "print(json.dumps([model.negative_probability([a for a, _ in p],",
    "  [event_log.parse_timestamp(t) for _, t in p]) for p in prefixes]))",
  ].join("\n");
  const asText = prefixes.map((prefix) => prefix.map(([activity, ms]) => [activity, at(ms)]));
  const result = spawnSync(python, ["-c", script, path, JSON.stringify(asText)], {
    cwd: exampleDir,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`cannot load the alarm model:\n${result.stderr}`);
  return JSON.parse(result.stdout) as number[];
}

const count = (log: string, pattern: RegExp) => log.split("\n").filter((l) => pattern.test(l));

describeEachDialect("example plugins answer live requests", (dialect) => {
  const env = freshCorePerTest(dialect);
  const plugins = polyglotPluginsPerTest(env);

  function startPython(kind: "next-activity" | "alarm", modelDir: string): PythonPlugin {
    const plugin = PythonPlugin.start(env.core.address, join(plugins.modelRoot, modelDir), kind);
    env.track({ close: () => plugin.stop() });
    return plugin;
  }

  itOrFailOnCi(
    noSklearn,
    "the Python next-activity and alarm plugins prescribe each posted event, loading their models once",
    async () => {
      const next = startPython("next-activity", "python");
      const alarm = startPython("alarm", "python");
      await next.waitForLines(/registered key=plugin-python-next-activity/);
      await alarm.waitForLines(/registered key=plugin-python-alarm/);
      await waitUntilOnline(env.core, [pythonKey, alarmKey]);
      const logs = () => `${next.log}\n${alarm.log}`;
      const { projectId, models } = await trainedTickets(env, [pythonKey, alarmKey], logs);
      const nextModel = models.get(pythonKey)?.modelName ?? "";
      const alarmModel = models.get(alarmKey)?.modelName ?? "";
      // Both store their model in the core, so that any instance can prescribe.
      expect(models.get(pythonKey)?.modelSizeBytes).toBeGreaterThan(0);
      expect(models.get(alarmKey)?.modelSizeBytes).toBeGreaterThan(0);

      const client = jobsClient(env);
      const seen = await postAndWatch(client, projectId, firstEvents);
      expect(
        seen.map((e) => e.missing),
        logs(),
      ).toEqual(firstEvents.map(() => []));
      expect(
        seen.map((e) => e.prescriptions[pythonKey]),
        logs(),
      ).toEqual(nextActivities(nextModel));

      const alarms = seen.map((e) => e.prescriptions[alarmKey]);
      const expected = alarmProbabilities(join(plugins.modelRoot, "python", alarmModel), [
        [["register", live]],
        [["register", live + hour]],
        [
          ["register", live],
          ["check", live + 2 * hour],
        ],
        [
          ["register", live + hour],
          ["escalate", live + 6 * hour],
        ],
        [["reopen", live + 7 * hour]],
        [
          ["register", live],
          ["check", live + 2 * hour],
          ["close", live + 8 * hour],
        ],
      ]);
      alarms.forEach((prescription, i) => {
        expect(prescription, logs()).toMatchObject({
          type: "ALARM",
          detail: "",
          model: { name: alarmModel, cases: 30, negative_cases: 10 },
        });
        expect(prescription?.output).toBeCloseTo(expected[i] as number, 9);
      });
      // Sensible: an escalated ticket is likely negative, a checked one is not.
      expect(alarms[3]?.output).toBeGreaterThan(0.8);
      expect(alarms[2]?.output).toBeLessThan(0.2);

      // Six requests each, one model load each (from MODEL_DIR: they trained it), no download.
      const loaded = /project=\d+ plugin=\d+ model \S+ loaded from /;
      expect(count(next.log, loaded), next.log).toHaveLength(1);
      expect(count(alarm.log, loaded), alarm.log).toHaveLength(1);
      expect(count(logs(), /model downloaded/), logs()).toHaveLength(0);
    },
    90_000,
  );

  itOrFailOnCi(
    noSklearn,
    "a Python instance that did not train the project downloads its model once from the core",
    async () => {
      const trainers = [startPython("next-activity", "a"), startPython("alarm", "a")];
      await trainers[0]?.waitForLines(/registered key=plugin-python-next-activity/);
      await trainers[1]?.waitForLines(/registered key=plugin-python-alarm/);
      await waitUntilOnline(env.core, [pythonKey, alarmKey]);
      const trainerLogs = () => trainers.map((t) => t.log).join("\n");
      const { projectId, models } = await trainedTickets(env, [pythonKey, alarmKey], trainerLogs);
      for (const trainer of trainers) expect(await trainer.stop(), trainer.log).toBe(0);

      // New instances with an empty MODEL_DIR: they have the model only from the core.
      const next = startPython("next-activity", "b");
      const alarm = startPython("alarm", "b");
      await next.waitForLines(/registered key=plugin-python-next-activity/);
      await alarm.waitForLines(/registered key=plugin-python-alarm/);
      await waitUntilOnline(env.core, [pythonKey, alarmKey]);
      const logs = () => `${next.log}\n${alarm.log}`;
      const seen = await postAndWatch(jobsClient(env), projectId, firstEvents);
      expect(
        seen.map((e) => e.prescriptions[pythonKey]),
        logs(),
      ).toEqual(nextActivities(models.get(pythonKey)?.modelName ?? ""));
      for (const prescribed of seen) {
        const probability = prescribed.prescriptions[alarmKey]?.output;
        expect(probability, logs()).toBeGreaterThanOrEqual(0);
        expect(probability).toBeLessThanOrEqual(1);
      }
      for (const plugin of [next, alarm]) {
        expect(
          count(plugin.log, /project=\d+ plugin=\d+ model downloaded/),
          plugin.log,
        ).toHaveLength(1);
        expect(count(plugin.log, /model \S+ loaded from the core/), plugin.log).toHaveLength(1);
      }
    },
    90_000,
  );

  it("the TypeScript next-activity example prescribes each posted event, loading its model once", async () => {
    const records: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split("\n")) if (line) records.push(JSON.parse(line));
        callback();
      },
    });
    const startTypeScript = (modelDir: string) => {
      const abort = new AbortController();
      const logger = pino({ level: "info", base: { instance: modelDir } }, sink);
      const running = startNextActivityPlugin({
        address: env.core.address,
        modelDir: join(plugins.modelRoot, modelDir),
        signal: abort.signal,
        reconnect: fastReconnect,
        logger,
      });
      const stop = () => {
        abort.abort();
        return running;
      };
      env.track({ close: stop });
      return stop;
    };
    const loads = (instance: string) =>
      records.filter((r) => r.instance === instance && /^model \S+ loaded$/.test(String(r.msg)));

    const stopTrainer = startTypeScript("a");
    await waitUntilOnline(env.core, [typescriptKey]);
    const { projectId, models } = await trainedTickets(env, [typescriptKey], () => "");
    const modelName = models.get(typescriptKey)?.modelName ?? "";
    const client = jobsClient(env);
    const seen = await postAndWatch(client, projectId, firstEvents);
    expect(seen.map((e) => e.prescriptions[typescriptKey])).toEqual(nextActivities(modelName));
    expect(loads("a")).toMatchObject([
      { projectId, from: join(plugins.modelRoot, "a", modelName) },
    ]);

    // Another instance, without the file: it reads the model stored in the core, once.
    await stopTrainer();
    startTypeScript("b");
    await waitUntilOnline(env.core, [typescriptKey]);
    const more = await postAndWatch(
      client,
      projectId,
      [event("r4", "register", at(live)), event("r4", "escalate", at(live + hour))],
      seen.at(-1)?.eventId,
    );
    expect(more.map((e) => e.prescriptions[typescriptKey]?.output)).toEqual([
      { activity: "check", probability: 2 / 3 },
      { activity: "close", probability: 1 },
    ]);
    expect(loads("b")).toMatchObject([{ projectId, from: "core" }]);
  }, 60_000);
});
