import { status } from "@grpc/grpc-js";
import { expect, it } from "vitest";
import { ProjectStatus } from "../../src/gen/trainingcore/v1/project.js";
import type { TestCoreOptions } from "../helpers/core.js";
import { describeEachDialect } from "../helpers/databases.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { createProject, tinyCsv, watchToEnd } from "../helpers/projects.js";

/** The value of one sample of the Prometheus text format; undefined when it is not there. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? "").split(",").filter(Boolean);
    if (wanted.every((pair) => present.includes(pair))) return Number(match[3]);
  }
  return undefined;
}

describeEachDialect("metrics", (dialect) => {
  const env = freshCorePerTest(dialect, { deferStart: true });
  const connect = (key: string) => env.connect(key);

  async function start(options: TestCoreOptions = {}): Promise<string> {
    const core = await env.start({ metricsAddress: "127.0.0.1:0", ...options });
    expect(core.core.metricsAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    return `http://${core.core.metricsAddress}/metrics`;
  }

  async function scrape(url: string): Promise<string> {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    return response.text();
  }

  it("counts streams, messages, acks, transactions and projects of a workflow", async () => {
    const url = await start();
    const plugin = await connect("metered");
    let text = await scrape(url);
    expect(sample(text, "training_core_plugin_streams_open", { plugin_key: "metered" })).toBe(1);
    expect(sample(text, "training_core_projects", { status: "TRAINED" })).toBe(0);

    const project = await createProject(env.core.projects, { pluginKeys: ["metered"] });
    const td = await plugin.trainingData.next();
    await plugin.train(td);
    const refused = await plugin.send({
      $case: "trainingStart",
      value: { projectId: 999_999, pluginId: td.pluginId },
    });
    expect(refused.code).toBe(status.NOT_FOUND);
    const events = await watchToEnd(env.core.projects, project.id);
    expect(events.at(-1)?.projectStatus).toBe(ProjectStatus.PROJECT_STATUS_TRAINED);

    text = await scrape(url);
    // Registration, DataReport, TrainingStart, ModelName.
    expect(sample(text, "training_core_plugin_acks_total", { code: "0" })).toBeGreaterThanOrEqual(
      4,
    );
    expect(sample(text, "training_core_plugin_acks_total", { code: "5" })).toBe(1);
    expect(sample(text, "training_core_plugin_ack_latency_seconds_count")).toBeGreaterThanOrEqual(
      5,
    );
    const received = (kind: string) =>
      sample(text, "training_core_plugin_messages_received_total", { kind });
    expect(received("online_report")).toBeGreaterThanOrEqual(1);
    expect(received("data_report")).toBe(1);
    expect(received("training_start")).toBe(2);
    expect(received("model_name")).toBe(1);
    const sent = (kind: string) =>
      sample(text, "training_core_plugin_messages_sent_total", { kind });
    expect(sent("training_data")).toBe(1);
    expect(sent("ack")).toBeGreaterThanOrEqual(5);
    expect(
      sample(text, "training_core_group_commit_transaction_seconds_count", { outcome: "commit" }),
    ).toBeGreaterThanOrEqual(4);
    expect(sample(text, "training_core_group_commit_batch_size_count")).toBeGreaterThanOrEqual(4);
    expect(sample(text, "training_core_preprocessing_bytes_total")).toBe(
      Buffer.byteLength(tinyCsv),
    );
    expect(sample(text, "training_core_projects", { status: "TRAINED" })).toBe(1);
    // One replica (the heartbeat at start counts it).
    expect(sample(text, "training_core_replicas_live")).toBe(1);
    expect(sample(text, "training_core_projects", { status: "PREPROCESSING" })).toBe(0);
    // Node's process metrics, in this core's own registry.
    expect(sample(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(sample(text, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    expect(sample(text, "process_open_fds")).toBeGreaterThan(0);
    // Not these: they walk every socket and timer on each scrape.
    expect(text).not.toMatch(/^nodejs_active_(handles|resources|requests)/m);

    plugin.close();
    await expect
      .poll(
        async () =>
          sample(await scrape(url), "training_core_plugin_streams_open", {
            plugin_key: "metered",
          }),
        { timeout: 5_000 },
      )
      .toBe(0);
  });

  it("counts redeliveries and missed deadlines", async () => {
    const url = await start({
      deliveryLeaseMs: 100,
      timeouts: { dataReportMs: 1_500, trainingStartMs: 60_000, trainingMs: 60_000 },
    });
    const first = await connect("silent");
    const project = await createProject(env.core.projects, { pluginKeys: ["silent"] });
    const td = await first.trainingData.next();
    // Alone and silent: its lease runs out and the same TrainingData comes again.
    expect((await first.trainingData.next()).pluginId).toBe(td.pluginId);
    first.close();
    const second = await connect("silent");
    expect((await second.trainingData.next()).pluginId).toBe(td.pluginId);
    const events = await watchToEnd(env.core.projects, project.id);
    expect(events.at(-1)?.projectStatus).toBe(ProjectStatus.PROJECT_STATUS_ERROR);

    const text = await scrape(url);
    expect(
      sample(text, "training_core_redeliveries_total", { reason: "lease_expired" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, "training_core_redeliveries_total", { reason: "holder_gone" }),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, "training_core_deadline_expiries_total", { status: "WAITING" })).toBe(1);
    expect(sample(text, "training_core_projects", { status: "ERROR" })).toBe(1);
  });

  it("answers 404 off /metrics", async () => {
    const url = await start();
    expect((await fetch(url.replace("/metrics", "/"))).status).toBe(404);
    expect((await fetch(url, { method: "POST" })).status).toBe(405);
  });
});
