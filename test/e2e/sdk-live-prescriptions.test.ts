/** The SDK's onPrescription answering live (case-prefix) requests, on SQLite and PostgreSQL. */
import { expect, it } from "vitest";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import type { PrescriptionJob, RunPluginOptions } from "../../src/sdk/index.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { event, post, watch } from "../helpers/live-prescriptions.js";
import { jobsClient, runningLog, runningLogDefinition } from "../helpers/prescription-jobs.js";
import { createProject, getProject } from "../helpers/projects.js";
import { identity, sdkPluginsPerTest } from "../helpers/sdk-plugins.js";

describeEachDialect("plugin SDK: live prescriptions", (dialect) => {
  const env = freshCorePerTest(dialect);
  const { makeKnown, start } = sdkPluginsPerTest(env);

  const train: RunPluginOptions["onTrainingData"] = async (job, ctx) => {
    await ctx.accept();
    await ctx.started();
    await ctx.trained(`model-${job.pluginId}`);
  };

  it("gives the handler the case with its events parsed, in order, and streams the answers back", async () => {
    await makeKnown("sdk-live");
    const seen: PrescriptionJob[] = [];
    start({
      report: identity("sdk-live"),
      onTrainingData: train,
      onPrescription: async (request, ctx) => {
        seen.push(request);
        const running = request.case;
        if (!running) throw new Error("not a live request");
        await ctx.answer(running.caseId, {
          type: "NEXT_ACTIVITY",
          output: running.events.map((e) => e.ACTIVITY).join(">"),
        });
      },
    });
    const project = await createProject(env.core.projects, {
      datasetCsv: Buffer.from(runningLog),
      holdoutFraction: 0,
      pluginKeys: ["sdk-live"],
      definition: runningLogDefinition,
    });
    await expect
      .poll(async () => (await getProject(env.core.projects, project.id)).status, {
        timeout: 15_000,
      })
      .toBe(ProjectStatus.PROJECT_STATUS_TRAINED);
    const client = jobsClient(env);
    const ids = await post(client, project.id, [
      event("c1", "register", "2024-01-01T10:00:00Z"),
      event("c2", "register", "2024-01-01T10:30:00Z"),
      event("c1", "check", "2024-01-01T11:00:00Z"),
    ]);
    const reader = watch(client, project.id);
    const outputs = [];
    for (let i = 0; i < ids.length; i++) {
      const prescribed = await reader.events.next(15_000);
      outputs.push([prescribed.eventId, prescribed.prescriptions["sdk-live"]?.output]);
    }
    reader.cancel();
    expect(outputs).toEqual([
      [ids[0], "register"],
      [ids[1], "register"],
      [ids[2], "register>check"],
    ]);
    expect(seen).toHaveLength(3);
    expect(seen[2]?.case?.events[1]).toMatchObject({
      CASE_ID: "c1",
      ACTIVITY: "check",
      TIMESTAMP: "2024-01-01T11:00:00.000Z",
    });
    expect(seen[2]?.datasetName).toBe("");
  });
});
