// Message and ack counts are kept apart from prom-client until a scrape: every scrape shows
// the running totals.
import { register } from "prom-client";
import { describe, expect, it } from "vitest";
import { CoreMetrics } from "../../../../src/app/metrics/core-metrics.js";

const line = (text: string, name: string, label: string): string | undefined =>
  text.split("\n").find((l) => l.startsWith(`training_core_${name}{${label}}`));

describe("CoreMetrics counts", () => {
  it("shows the totals counted up to each scrape", async () => {
    const metrics = new CoreMetrics();
    metrics.messageReceived("data_report");
    metrics.messageReceived("data_report");
    metrics.messageReceived("model_name");
    metrics.messageSent("ack");
    metrics.ackWritten(0, performance.now());
    metrics.ackWritten(5, performance.now());
    metrics.replicaNotification("sent");
    let text = await metrics.registry.metrics();
    expect(line(text, "plugin_messages_received_total", 'kind="data_report"')).toMatch(/ 2$/);
    expect(line(text, "plugin_messages_received_total", 'kind="model_name"')).toMatch(/ 1$/);
    expect(line(text, "plugin_messages_sent_total", 'kind="ack"')).toMatch(/ 1$/);
    expect(line(text, "plugin_acks_total", 'code="0"')).toMatch(/ 1$/);
    expect(line(text, "plugin_acks_total", 'code="5"')).toMatch(/ 1$/);
    expect(line(text, "replica_notifications_total", 'direction="sent"')).toMatch(/ 1$/);

    metrics.messageReceived("data_report");
    metrics.ackWritten(0, performance.now());
    text = await metrics.registry.metrics();
    expect(line(text, "plugin_messages_received_total", 'kind="data_report"')).toMatch(/ 3$/);
    expect(line(text, "plugin_messages_received_total", 'kind="model_name"')).toMatch(/ 1$/);
    expect(line(text, "plugin_acks_total", 'code="0"')).toMatch(/ 2$/);
    // A scrape with nothing new in between shows the same totals.
    text = await metrics.registry.metrics();
    expect(line(text, "plugin_messages_received_total", 'kind="data_report"')).toMatch(/ 3$/);
    expect(line(text, "plugin_acks_total", 'code="0"')).toMatch(/ 2$/);
  });

  it("keeps to its own registry, so any number can live in one process", async () => {
    const globalBefore = await register.getMetricsAsJSON();
    const [first, second] = [new CoreMetrics(), new CoreMetrics()];
    first.collectProcessMetrics();
    second.collectProcessMetrics();
    first.messageReceived("data_report");
    expect(await register.getMetricsAsJSON()).toEqual(globalBefore);
    expect(
      line(await first.registry.metrics(), "plugin_messages_received_total", 'kind="data_report"'),
    ).toMatch(/ 1$/);
    expect(await second.registry.metrics()).not.toContain("plugin_messages_received_total{");
    expect(await second.registry.metrics()).toContain("process_cpu_seconds_total");
  });
});
