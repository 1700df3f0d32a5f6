/**
 * Live prescriptions across three replicas on one PostgreSQL database (in one process): events
 * posted to the first, plugins connected to the second, a reader on the third sees every event
 * once, in order, with its prescription.
 */
import { credentials } from "@grpc/grpc-js";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PrescriptionServiceClient } from "../../src/gen/trainingcore/v1/prescription_service.js";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import { startTestCore, type TestCore } from "../helpers/core.js";
import { createTestDatabaseUrl, dialects, type TestDatabase } from "../helpers/databases.js";
import { answerFor, event, post, watch } from "../helpers/live-prescriptions.js";
import { TestPlugin } from "../helpers/plugin-client.js";
import { runningLog, runningLogDefinition } from "../helpers/prescription-jobs.js";
import { createProject, watchToEnd } from "../helpers/projects.js";

describe.skipIf(!dialects.includes("postgres"))(
  "live prescriptions on three replicas [postgres]",
  () => {
    let database: TestDatabase;
    let cores: TestCore[] = [];
    const closers: (() => void)[] = [];

    beforeEach(async () => {
      database = await createTestDatabaseUrl("postgres");
      cores = [];
      for (let i = 0; i < 3; i++)
        cores.push(await startTestCore(database.url, { replicaTtlMs: 1000 }));
    });
    afterEach(async () => {
      for (const close of closers.splice(0)) close();
      for (const core of cores) await core.stop();
      await database.drop();
    });

    const clientOf = (core: TestCore) => {
      const client = new PrescriptionServiceClient(core.address, credentials.createInsecure());
      closers.push(() => client.close());
      return client;
    };

    it("posted on one, answered on another, read on a third: every event once, in order", async () => {
      const [posting, serving, reading] = cores as [TestCore, TestCore, TestCore];
      const plugin = await TestPlugin.connect(serving.address, "far", { prescribes: true });
      closers.push(() => plugin.close());
      const project = await createProject(posting.projects, {
        datasetCsv: Buffer.from(runningLog),
        holdoutFraction: 0,
        pluginKeys: ["far"],
        definition: runningLogDefinition,
      });
      const watching = watchToEnd(posting.projects, project.id);
      await plugin.train(await plugin.trainingData.next());
      expect((await watching).at(-1)?.projectStatus).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);

      let stopped = false;
      const answering = (async () => {
        while (!stopped) {
          const request = await plugin.prescriptionRequests.next(100).catch(() => undefined);
          if (request?.input?.$case !== "casePrefix") continue;
          const { caseId, events } = request.input.value;
          await plugin.answer(request.requestId, answerFor(caseId, events.length), true);
        }
      })();
      const reader = watch(clientOf(reading), project.id);
      const poster = clientOf(posting);
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(
          ...(await post(poster, project.id, [
            event("a", "step", `2024-01-01T10:0${i}:00Z`),
            event(`b${i}`, "start", "2024-01-02T10:00:00Z"),
          ])),
        );
      }
      const seen = [];
      for (let i = 0; i < ids.length; i++) seen.push(await reader.events.next(20_000));
      await expect(reader.events.next(300)).rejects.toThrow();
      reader.cancel();
      stopped = true;
      await answering;
      expect(seen.map((e) => e.eventId)).toEqual(ids);
      // Case "a" grows by one event each time: its prefix length is the answer.
      expect(seen.filter((e) => e.caseId === "a").map((e) => e.prescriptions.far?.output)).toEqual([
        1, 2, 3, 4, 5,
      ]);
      expect(seen.every((e) => e.missing.length === 0)).toBe(true);
    });
  },
);
