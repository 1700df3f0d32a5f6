/**
 * Inputs the fuzzer found mishandled: U+0000 reached PostgreSQL, which cannot store it, and came
 * back as INTERNAL; an empty ErrorReport detail left a plugin in ERROR without a reason. They are
 * refused with INVALID_ARGUMENT now, on both databases; these tests keep it so. The random
 * traffic keeps clear of them so that it goes on finding other problems.
 */
import { type ServiceError, status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import type { TrainingData } from "../../../src/gen/trainingcore/v1/plugin_service.js";
import { describeEachDialect } from "../../helpers/databases.js";
import { freshCorePerTest } from "../../helpers/fresh-core.js";
import { checkStoredInvariants } from "../../helpers/invariants.js";
import { TestPlugin } from "../../helpers/plugin-client.js";
import { createProject } from "../../helpers/projects.js";

describeEachDialect("inputs found by fuzzing", (dialect) => {
  const env = freshCorePerTest(dialect);
  let plugin: TestPlugin | undefined;

  /** A fresh membership of `plugin` (key "bug"), moved along `steps` of the happy path. */
  async function membership(steps: number): Promise<TrainingData> {
    await createProject(env.core.projects, { pluginKeys: ["bug"] });
    const td = await (plugin as TestPlugin).trainingData.next();
    if (steps >= 1) expect((await (plugin as TestPlugin).dataReport(td)).code).toBe(status.OK);
    if (steps >= 2) expect((await (plugin as TestPlugin).trainingStart(td)).code).toBe(status.OK);
    return td;
  }

  it("refuses reports and OnlineReports containing U+0000 with INVALID_ARGUMENT", async () => {
    plugin = await env.connect("bug");
    const trained = await membership(2);
    const failing = await membership(1);
    const acks = {
      modelName: (await plugin.modelName(trained, "model\u0000.pkl")).code,
      errorReport: (await plugin.errorReport(failing, "out of\u0000memory")).code,
      onlineReport: (
        await plugin.send({
          $case: "onlineReport",
          value: { ...plugin.identity(), name: "Plugin\u0000bug" },
        })
      ).code,
    };
    expect(acks).toEqual({ modelName: 3, errorReport: 3, onlineReport: 3 });
    expect(await checkStoredInvariants(env.database.url)).toEqual([]);
  });

  it("ends a stream whose first OnlineReport contains U+0000 with INVALID_ARGUMENT", async () => {
    const raw = env.track(TestPlugin.open(env.core.address, "bug-nul"));
    const outcome = await Promise.race([
      raw
        .send({ $case: "onlineReport", value: { ...raw.identity(), name: "a\u0000b" } })
        .then((ack) => ({ ack: ack.code })),
      raw.ended.then((end) => ({ streamEnded: end.code })),
    ]);
    raw.cancel();
    expect(outcome).toEqual({ streamEnded: status.INVALID_ARGUMENT });
  });

  it("refuses CreateProject with U+0000 in its name with INVALID_ARGUMENT", async () => {
    plugin = await env.connect("bug");
    const code = await createProject(env.core.projects, {
      pluginKeys: ["bug"],
      name: "a\u0000b",
    }).then(
      () => status.OK,
      (error: ServiceError) => error.code,
    );
    expect(code).toBe(status.INVALID_ARGUMENT);
  });

  it("refuses an ErrorReport with an empty detail, like an empty model_name", async () => {
    plugin = await env.connect("bug");
    const td = await membership(1);
    const ack = await plugin.errorReport(td, "");
    expect(ack).toMatchObject({
      code: status.INVALID_ARGUMENT,
      message: "detail must say what went wrong",
    });
    expect(await checkStoredInvariants(env.database.url)).toEqual([]);
  });
});
