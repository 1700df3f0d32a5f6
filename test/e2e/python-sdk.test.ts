/**
 * The Python SDK (sdk/python): installed with pip into a temporary directory (no registry:
 * `--no-index --no-build-isolation`), its pytest suite (unit tests against a scripted core), and
 * a plugin on it (sdk/python/tests/e2e_plugin.py) against the real core: it trains a project,
 * stores its model in the core, answers a prescription job and live (case-prefix) requests, and
 * finishes a job across a core restart.
 *
 * Needs Debian's python3-grpcio, python3-protobuf, python3-pytest, python3-pip and
 * python3-setuptools in /usr/bin/python3:
 * skipped with the reason in the test's name without them, except on CI (CI set), where they
 * fail.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobStatus } from "../../src/gen/trainingcore/v1/prescription_service.js";
import { PluginStatus, ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { event, post, watch } from "../helpers/live-prescriptions.js";
import {
  jobsClient,
  jobToEnd,
  listAllPrescriptions,
  prescribe,
  runningLog,
  runningLogDefinition,
} from "../helpers/prescription-jobs.js";
import { createProject, getProject, watchToEnd } from "../helpers/projects.js";
import {
  noPython,
  PythonPlugin,
  python,
  succeeds,
  waitUntilOnline,
} from "../helpers/python-plugins.js";

const sdkDir = fileURLToPath(new URL("../../sdk/python/", import.meta.url));
const e2ePlugin = join(sdkDir, "tests", "e2e_plugin.py");
const noPytest = succeeds(python, ["-c", "import setuptools, pip, pytest"])
  ? undefined
  : `${python} cannot import pytest, pip or setuptools (apt-get install python3-pytest python3-pip python3-setuptools)`;
const skip = noPython ?? noPytest;
if (skip) console.warn(`[python-sdk] ${process.env.CI ? "failing" : "skipping"}: ${skip}`);

/** `it`, skipped with the reason without the Debian packages; on CI their absence fails. */
function itPython(name: string, fn: () => Promise<void>, timeoutMs = 60_000): void {
  if (skip && process.env.CI) {
    it(name, () => {
      throw new Error(`CI must run the Python SDK tests: ${skip}`);
    });
  } else {
    it.skipIf(skip !== undefined)(skip ? `${name} (skipped: ${skip})` : name, fn, timeoutMs);
  }
}

/** Where the package is installed for this file's tests (PYTHONPATH). */
let installed = "";
let scratch = "";

beforeAll(async () => {
  if (skip) return;
  scratch = await mkdtemp(join(tmpdir(), "trainingcore-python-sdk-"));
  installed = join(scratch, "site");
  // Built from a copy, so that the build leaves nothing in the source tree.
  const source = join(scratch, "source");
  await cp(sdkDir, source, {
    recursive: true,
    filter: (path) => !/(__pycache__|\.egg-info|[/\\]build)$/.test(path),
  });
  const pip = spawnSync(
    python,
    [
      ...["-m", "pip", "install", "--quiet", "--no-cache-dir", "--no-build-isolation"],
      ...["--no-index", "--no-deps", "--target", installed, source],
    ],
    { encoding: "utf8", timeout: 120_000 },
  );
  if (pip.status !== 0) throw new Error(`pip install ./sdk/python failed:\n${pip.stderr}`);
}, 150_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe("Python SDK", () => {
  itPython(
    "installs with pip and passes its pytest suite (against a scripted core)",
    async () => {
      const result = spawnSync(
        python,
        ["-m", "pytest", "-p", "no:cacheprovider", join(sdkDir, "tests")],
        {
          cwd: scratch,
          env: { ...process.env, PYTHONPATH: installed },
          encoding: "utf8",
          timeout: 170_000,
        },
      );
      const output = `${result.stdout}\n${result.stderr}`;
      expect(result.status, output).toBe(0);
      // The installed package was tested, not the source tree.
      expect(result.stdout).toContain(`trainingcore from ${join(installed, "trainingcore")}`);
    },
    180_000,
  );
});

describeEachDialect("Python SDK plugin on the real core", (dialect) => {
  const env = freshCorePerTest(dialect);
  const key = "plugin-python-sdk";

  function startPlugin(extra: Record<string, string> = {}): PythonPlugin {
    const pluginEnv = { CORE_ADDRESS: env.core.address, PLUGIN_KEY: key, ...extra };
    const child: ChildProcess = spawn(python, ["-u", e2ePlugin], {
      env: { ...process.env, PYTHONPATH: installed, ...pluginEnv },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const plugin = new PythonPlugin(child, pluginEnv);
    env.track({ close: () => plugin.stop() });
    return plugin;
  }

  itPython("trains a project, stores its model and answers a prescription job", async () => {
    const py = startPlugin();
    await py.waitForLines(/registered key=plugin-python-sdk/);
    await waitUntilOnline(env.core, [key]);

    const created = await createProject(env.core.projects, {
      datasetCsv: Buffer.from(runningLog),
      holdoutFraction: 0,
      pluginKeys: [key],
      definition: runningLogDefinition,
    });
    await watchToEnd(env.core.projects, created.id);
    const project = await getProject(env.core.projects, created.id);
    expect(project.status, py.log).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    const membership = project.plugins[0];
    const modelName = `rows-${created.id}-${membership?.pluginId}.json`;
    expect(membership).toMatchObject({ status: PluginStatus.PLUGIN_STATUS_TRAINED, modelName });
    expect(membership?.modelSizeBytes).toBe('{"rows": 3}'.length); // uploaded with trained()

    const jobs = jobsClient(env);
    const job = await prescribe(jobs, {
      projectId: created.id,
      datasetCsv: Buffer.from(runningLog),
    });
    const done = await jobToEnd(jobs, job.jobId);
    expect(done.status, py.log).toBe(JobStatus.JOB_STATUS_DONE);
    expect(done.plugins).toMatchObject([{ key, casesDone: 2 }]);
    const { pages } = await listAllPrescriptions(jobs, job.jobId);
    expect(pages.flatMap((page) => page.cases)).toEqual([
      {
        caseId: "c2",
        prescriptions: {
          [key]: {
            type: "COUNT",
            output: { events: 1, rows: 3 },
            detail: "",
            model: { name: modelName },
          },
        },
      },
      {
        caseId: "c1",
        prescriptions: {
          [key]: {
            type: "COUNT",
            output: { events: 2, rows: 3 },
            detail: "",
            model: { name: modelName },
          },
        },
      },
    ]);

    expect(await py.stop(), py.log).toBe(0);
    expect(py.log).toContain("stopped on SIGTERM");
  });

  itPython(
    "answers live requests: posted events arrive on WatchPrescriptions with its answers",
    async () => {
      const py = startPlugin();
      await py.waitForLines(/registered key=plugin-python-sdk/);
      await waitUntilOnline(env.core, [key]);
      const created = await createProject(env.core.projects, {
        datasetCsv: Buffer.from(runningLog),
        holdoutFraction: 0,
        pluginKeys: [key],
        definition: runningLogDefinition,
      });
      await watchToEnd(env.core.projects, created.id);
      const project = await getProject(env.core.projects, created.id);
      expect(project.status, py.log).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
      const modelName = project.plugins[0]?.modelName;

      const jobs = jobsClient(env);
      const reader = watch(jobs, created.id);
      const ids = await post(jobs, created.id, [
        event("c1", "register", "2024-01-01T10:00:00Z"),
        event("c2", "register", "2024-01-01T10:30:00Z"),
        event("c1", "check", "2024-01-01T11:00:00Z"),
      ]);
      const seen = [];
      for (let i = 0; i < ids.length; i++) {
        const prescribed = await reader.events.next(15_000);
        seen.push([prescribed.eventId, prescribed.prescriptions[key]]);
      }
      reader.cancel();
      const count = (events: number) => ({
        type: "COUNT",
        output: { events, rows: 3 },
        detail: "",
        model: { name: modelName },
      });
      expect(seen, py.log).toEqual([
        [ids[0], count(1)],
        [ids[1], count(1)],
        [ids[2], count(2)],
      ]);
      expect(await py.stop(), py.log).toBe(0);
    },
  );

  itPython("finishes a job across a core restart while it trains", async () => {
    const gate = join(scratch, `gate-${dialect}-${Date.now()}`);
    const py = startPlugin({ GATE: gate });
    await py.waitForLines(/registered key=plugin-python-sdk/);
    await waitUntilOnline(env.core, [key]);

    const created = await createProject(env.core.projects, { pluginKeys: [key] });
    await py.waitForLines(/waiting for the gate/);
    const port = env.core.core.port;
    await env.core.stop();
    await py.waitForLines(/disconnected \(UNAVAILABLE/);
    await env.start({ port });
    await py.waitForLines(/registered key=plugin-python-sdk/, 2);
    await writeFile(gate, "");

    await watchToEnd(env.core.projects, created.id);
    const project = await getProject(env.core.projects, created.id);
    expect(project.status, py.log).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(project.plugins[0]?.modelName).toBe(
      `rows-${created.id}-${project.plugins[0]?.pluginId}.json`,
    );
    expect(py.log.match(/TrainingData received/g)?.length, py.log).toBe(1);
    expect(await py.stop(), py.log).toBe(0);
  });
});
