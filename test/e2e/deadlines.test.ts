import { status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import { PluginStatus, ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { openStore } from "../../src/store/connect.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { createProject, getProject, watchToEnd } from "../helpers/projects.js";

const long = 3_600_000;

describeEachDialect("phase deadlines", (dialect) => {
  const env = freshCorePerTest(dialect, { deferStart: true });
  const connect = (key: string) => env.connect(key);

  /** Starts a core (again) on the test's database, with these deadlines and the rest long. */
  function start(timeouts: {
    dataReportMs?: number;
    trainingStartMs?: number;
    trainingMs?: number;
  }) {
    return env.start({
      timeouts: { dataReportMs: long, trainingStartMs: long, trainingMs: long, ...timeouts },
    });
  }

  it("fails a plugin that never sends its DataReport, naming the deadline", async () => {
    const { projects } = await start({ dataReportMs: 150 });
    const [silent, busy] = [await connect("silent"), await connect("busy")];
    const project = await createProject(projects, { pluginKeys: ["silent", "busy"] });
    await silent.trainingData.next();
    await busy.train(await busy.trainingData.next());
    const events = await watchToEnd(projects, project.id);
    const done = await getProject(projects, project.id);
    expect(done.status).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    expect(done.plugins[0]).toMatchObject({
      key: "silent",
      status: PluginStatus.PLUGIN_STATUS_ERROR,
      error: "deadline passed: no DataReport within 150 ms (CORE_DATA_REPORT_TIMEOUT_MS)",
    });
    expect(
      events.some(
        (e) => e.pluginKey === "silent" && e.pluginStatus === PluginStatus.PLUGIN_STATUS_ERROR,
      ),
    ).toBe(true);
    // A late report is refused: the plugin is out.
    const late = await silent.dataReport(
      await getTrainingData(done.plugins[0]?.pluginId ?? 0, project.id),
    );
    expect(late.code).toBe(status.FAILED_PRECONDITION);
  });

  it("fails a plugin stuck before TrainingStart and before ModelName", async () => {
    const { projects } = await start({ trainingStartMs: 150, trainingMs: 300 });
    const [a, b] = [await connect("a"), await connect("b")];
    const project = await createProject(projects, { pluginKeys: ["a", "b"] });
    const [aData, bData] = [await a.trainingData.next(), await b.trainingData.next()];
    await a.dataReport(aData);
    await b.dataReport(bData);
    await b.trainingStart(bData);
    const events = await watchToEnd(projects, project.id);
    expect(events.at(-1)).toMatchObject({ projectStatus: ProjectStatus.PROJECT_STATUS_ERROR });
    const failed = await getProject(projects, project.id);
    expect(failed.error).toBe(
      "every plugin failed: a: deadline passed: no TrainingStart within 150 ms (CORE_TRAINING_START_TIMEOUT_MS); " +
        "b: deadline passed: no ModelName within 300 ms (CORE_TRAINING_TIMEOUT_MS)",
    );
  });

  it("keeps deadlines across a restart: one that passed while the core was down fires at start", async () => {
    const first = await start({});
    const plugin = await connect("a");
    const project = await createProject(first.projects, { pluginKeys: ["a"] });
    await plugin.trainingData.next();
    await first.stop();
    const store = await openStore(env.database.url);
    await store
      .db("memberships")
      .where({ project_id: project.id })
      .update({ deadline_ms: Date.now() - 1 });
    await store.close();
    const second = await start({});
    const events = await watchToEnd(second.projects, project.id);
    expect(events.at(-1)).toMatchObject({ projectStatus: ProjectStatus.PROJECT_STATUS_ERROR });
    expect((await getProject(second.projects, project.id)).plugins[0]?.error).toContain(
      "no DataReport within 3600000 ms",
    );
  });
});

/** A TrainingData-shaped object for reporting on a known membership. */
async function getTrainingData(pluginId: number, projectId: number) {
  return {
    projectId,
    pluginId,
    trainingDfName: "",
    additionalInfo: {},
    parameters: {},
    definition: undefined,
  };
}
