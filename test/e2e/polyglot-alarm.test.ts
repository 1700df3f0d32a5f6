/**
 * The Python alarm example (examples/python/alarm.py) on a real core: it learns from the OUTCOME
 * of a project created with a definition, and the core offers it nothing without one.
 *
 * Needs what the other Python plugin tests need, and python3-sklearn: skipped without it, except
 * on CI (CI set), where they fail.
 */
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { type EventLogDefinition, Operator } from "../../src/gen/trainingcore/v1/definition.js";
import { PluginStatus, ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { createProject, getProject, watchToEnd } from "../helpers/projects.js";
import {
  alarmKey,
  exampleDir,
  generateStubsBeforeAll,
  itUnless,
  noPython,
  noReceipt,
  polyglotPluginsPerTest,
  python,
  pythonKey,
  readModel,
  receiptPath,
  succeeds,
  waitUntilOnline,
} from "../helpers/python-plugins.js";
import {
  readJob,
  storedResults,
  storePrescriptionJob,
} from "../helpers/stored-prescription-jobs.js";

const noSklearn = succeeds(python, ["-c", "import sklearn"])
  ? undefined
  : `${python} cannot import sklearn (apt-get install python3-sklearn)`;
if (noSklearn && !noPython) {
  console.warn(`[polyglot] ${process.env.CI ? "failing" : "skipping"} alarm tests: ${noSklearn}`);
}

/**
 * A test of the alarm plugin: skipped like the others without Python's gRPC or the data, and
 * without scikit-learn, except on CI, which installs it (.ci/run): there its absence fails.
 */
function itWithSklearn(name: string, fn: () => Promise<void>): void {
  const skip = noPython ?? noReceipt;
  if (!skip && noSklearn && process.env.CI) {
    it(name, () => {
      throw new Error(`CI must run the alarm plugin tests: ${noSklearn}`);
    });
  } else {
    itUnless(skip ?? noSklearn, name, fn);
  }
}

/** What `AlarmModel.summary()` says of an alarm model file, loaded by examples/python/alarm.py. */
interface AlarmSummary {
  cases: number;
  negative_cases: number;
  activities: number;
  classifiers: number[];
  constants: number[];
  /** The probability of a negative outcome after the first event of receipt.csv's cases. */
  firstEventAlarm: number;
}

function summarizeAlarmModel(path: string): AlarmSummary {
  const script = [
    "import json, sys, alarm, event_log",
    "model = alarm.load_model(sys.argv[1])",
    'start = event_log.parse_timestamp("2011-10-11T11:45:40.276Z")',
    'alarm_after_one = model.negative_probability(["Confirmation of receipt"], [start])',
    "print(json.dumps({**model.summary(), 'firstEventAlarm': alarm_after_one}))",
  ].join("\n");
  const result = spawnSync(python, ["-c", script, path], { cwd: exampleDir, encoding: "utf8" });
  if (result.status !== 0)
    throw new Error(`cannot load the alarm model ${path}:\n${result.stderr}`);
  return JSON.parse(result.stdout) as AlarmSummary;
}

/** receipt.csv's effective definition is inferred; the outcome is the case's duration. */
function receiptDefinition(fields: Partial<EventLogDefinition> = {}): EventLogDefinition {
  return {
    columns: {},
    caseAttributes: [],
    positiveOutcome: undefined,
    negativeOutcome: undefined,
    treatment: undefined,
    ...fields,
  };
}

/** Negative: the case took more than a week (305 of receipt.csv's 1,434 cases). */
const longerThanAWeek = {
  anyOf: [
    {
      conditions: [
        { column: "DURATION", operator: Operator.OPERATOR_GREATER_THAN, value: "7 days" },
      ],
    },
  ],
};

generateStubsBeforeAll();

describeEachDialect("polyglot plugins", (dialect) => {
  const env = freshCorePerTest(dialect);
  const plugins = polyglotPluginsPerTest(env);
  const { startPython } = plugins;

  itWithSklearn("the Python alarm plugin learns the negative outcome of receipt.csv", async () => {
    const py = startPython("alarm");
    await py.waitForLines(/registered key=plugin-python-alarm/);
    await waitUntilOnline(env.core, [alarmKey]);

    const created = await createProject(env.core.projects, {
      name: "alarm",
      datasetCsv: await readFile(receiptPath),
      pluginKeys: [alarmKey],
      definition: receiptDefinition({ negativeOutcome: longerThanAWeek }),
    });
    const events = await watchToEnd(env.core.projects, created.id);
    expect(events.at(-1)?.projectStatus, py.log).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);

    const project = await getProject(env.core.projects, created.id);
    const membership = project.plugins.find((p) => p.key === alarmKey);
    expect(membership, py.log).toMatchObject({
      status: PluginStatus.PLUGIN_STATUS_TRAINED,
      modelName: `python-alarm-${created.id}-${membership?.pluginId}.joblib`,
    });
    const summary = summarizeAlarmModel(
      join(plugins.modelRoot, "python", membership?.modelName ?? ""),
    );
    // The training set holds the cases not held out (80 % by default) with both outcomes.
    expect(summary.cases).toBeGreaterThan(1_000);
    expect(summary.cases).toBeLessThan(1_434);
    expect(summary.negative_cases).toBeGreaterThan(150);
    expect(summary.negative_cases).toBeLessThan(summary.cases / 2);
    expect(summary.classifiers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(summary.firstEventAlarm).toBeGreaterThanOrEqual(0);
    expect(summary.firstEventAlarm).toBeLessThanOrEqual(1);

    // It prescribes: the probability of a negative outcome of each running case.
    const job = await storePrescriptionJob(env.core.core, created.id, [
      { caseId: "r1", activities: ["Confirmation of receipt"] },
      {
        caseId: "r2",
        activities: ["Confirmation of receipt", "T02 Check confirmation of receipt"],
      },
      { caseId: "r3", activities: ["Something new"] },
    ]);
    await expect
      .poll(async () => (await readJob(env.core.core, job.jobId)).job.status, { timeout: 30_000 })
      .toBe("DONE");
    const { requests } = await readJob(env.core.core, job.jobId);
    expect(requests[0], py.log).toMatchObject({ status: "DONE" });
    const results = await storedResults(env.core.core, job.requests.get(alarmKey) as string);
    expect([...results.keys()].sort()).toEqual(["r1", "r2", "r3"]);
    for (const result of results.values()) {
      expect(result).toMatchObject({ type: "ALARM", model: { name: membership?.modelName } });
      expect(result.output).toBeGreaterThanOrEqual(0);
      expect(result.output).toBeLessThanOrEqual(1);
    }
    expect(results.get("r1")?.output).toBeCloseTo(summary.firstEventAlarm, 6);

    expect(await py.stop(), py.log).toBe(0);
  });

  itWithSklearn(
    "without an outcome the core makes the alarm plugin NOT_APPLICABLE and offers it nothing",
    async () => {
      const alarm = startPython("alarm");
      const nextActivity = startPython();
      await alarm.waitForLines(/registered key=plugin-python-alarm/);
      await nextActivity.waitForLines(/registered key=plugin-python-next-activity/);
      await waitUntilOnline(env.core, [alarmKey, pythonKey]);

      const created = await createProject(env.core.projects, {
        name: "no outcome",
        datasetCsv: await readFile(receiptPath),
        pluginKeys: [alarmKey, pythonKey],
        definition: receiptDefinition(),
      });
      await watchToEnd(env.core.projects, created.id);
      const project = await getProject(env.core.projects, created.id);
      const logs = `${alarm.log}\n${nextActivity.log}`;
      // The next-activity plugin reads the training set's fixed columns and trains.
      expect(project.status, logs).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
      const byKey = new Map(project.plugins.map((p) => [p.key, p]));
      expect(byKey.get(pythonKey)?.status, logs).toBe(PluginStatus.PLUGIN_STATUS_TRAINED);
      expect(byKey.get(alarmKey), logs).toMatchObject({
        status: PluginStatus.PLUGIN_STATUS_NOT_APPLICABLE,
        error: expect.stringContaining("needs OUTCOME"),
      });
      expect(alarm.log).not.toMatch(new RegExp(`project=${created.id} .*TrainingData received`));
      const model = await readModel(
        join(plugins.modelRoot, "python"),
        byKey.get(pythonKey)?.modelName ?? "",
      );
      expect(model.start).toEqual({ "Confirmation of receipt": expect.any(Number) });
    },
  );
});
