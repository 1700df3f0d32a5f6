/** Metrics for tests: a real CoreMetrics whose registry the test reads. */
import type { Knex } from "knex";
import { CoreMetrics } from "../../src/app/metrics/core-metrics.js";

/**
 * A CoreMetrics of the test's own: each has its own prom-client registry (never the global
 * one), so a test may make as many as it likes. `db`: count projects on scrape too.
 */
export function testMetrics(db?: Knex): CoreMetrics {
  return new CoreMetrics(db);
}

/**
 * The value of the sample `name` (without the `training_core_` prefix; a histogram's as
 * `…_count` or `…_sum`) whose labels include `labels`; undefined while there is none.
 */
export async function sampleOf(
  metrics: CoreMetrics,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const wanted = `training_core_${name}`;
  const pairs = Object.entries(labels);
  for (const metric of await metrics.registry.getMetricsAsJSON()) {
    for (const sample of metric.values) {
      const sampleName = (sample as { metricName?: string }).metricName ?? metric.name;
      const sampleLabels = sample.labels as Record<string, string | number | undefined>;
      if (
        sampleName === wanted &&
        pairs.every(([label, value]) => String(sampleLabels[label]) === value)
      ) {
        return sample.value;
      }
    }
  }
  return undefined;
}
