import { credentials, Metadata } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import {
  HealthCheckResponse_ServingStatus,
  HealthClient,
} from "../../src/gen/grpc/health/v1/health.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { createProject, listPlugins } from "../helpers/projects.js";

describeEachDialect("online status and health", (dialect) => {
  const env = freshCorePerTest(dialect, { onlineInquiryIntervalMs: 100 });

  it("counts an instance online only while it answers inquiries", async () => {
    const answering = await env.connect("answers");
    const silent = await env.connect("silent", { answerInquiries: false });
    // After the third inquiry the silent one has missed two whole intervals.
    for (let i = 0; i < 3; i++) await silent.inquiries.next();
    await answering.inquiries.next();
    const { plugins } = await listPlugins(env.core.projects);
    expect(plugins.map((p) => [p.key, p.online, p.instances])).toEqual([
      ["answers", true, 1],
      ["silent", false, 0],
    ]);
  });

  it("still sends work to a connected instance that answers inquiries late", async () => {
    const silent = await env.connect("silent", { answerInquiries: false });
    for (let i = 0; i < 3; i++) await silent.inquiries.next();
    const project = await createProject(env.core.projects, { pluginKeys: ["silent"] });
    expect((await silent.trainingData.next()).projectId).toBe(project.id);
  });

  it("keeps a plugin known, offline, after it disconnects", async () => {
    const plugin = await env.connect("gone");
    plugin.close();
    await plugin.ended;
    const { plugins } = await listPlugins(env.core.projects);
    expect(plugins[0]).toMatchObject({ key: "gone", online: false, instances: 0 });
    expect(plugins[0]?.lastSeen).toBeInstanceOf(Date);
  });

  it("reports SERVING on the standard health service", async () => {
    const health = env.track(new HealthClient(env.core.address, credentials.createInsecure()));
    const response = await new Promise<{ status: number }>((resolve, reject) =>
      health.check({ service: "trainingcore.v1.PluginService" }, new Metadata(), (e, r) =>
        e ? reject(e) : resolve(r),
      ),
    );
    expect(response.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });
});
