/**
 * receipt.csv end to end with an outcome rule (a case done within a week), a treatment rule (the
 * confirmation was checked, T02) and case attributes: every event once, each case together and
 * in time order, labels that match the rules recomputed from the output, both modes the same.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { condition, rule } from "../../../helpers/event-log.js";
import { definitionOf, normalizeCsv } from "./helpers.js";

// CI copies shared/ beside the clone: <repo> and <repo>/../shared (data).
const receiptUrl = new URL("../../../../../shared/data/receipt.csv", import.meta.url);
const receiptPath = fileURLToPath(receiptUrl);
const available = existsSync(receiptPath);
if (!available) {
  console.warn(`receipt.csv event-log tests skipped: ${receiptPath} does not exist`);
}

const WEEK_MS = 7 * 24 * 3600 * 1000;
const CHECKED = "T02 Check confirmation of receipt";

describe.skipIf(!available)("receipt.csv normalized", () => {
  const data = available ? readFileSync(receiptPath) : Buffer.alloc(0);
  const definition = definitionOf(
    { "case:deadline": "DATETIME", "case:startdate": "DATETIME" },
    {
      caseAttributes: ["case:channel", "case:department", "case:deadline", "case:startdate"],
      positiveOutcome: rule([condition("DURATION", "LESS_THAN_OR_EQUAL", "7 days")]),
      treatment: rule([condition("ACTIVITY", "EQUAL", CHECKED)]),
    },
  );

  it("writes every event once, each case whole and in time order, with its labels", async () => {
    const input = parse(data, { columns: true }) as Record<string, string>[];
    const result = await normalizeCsv(data, definition, { holdoutFraction: 0.2 });
    const { summary } = result;
    expect(summary).toMatchObject({
      rows: 8577,
      trainingRows: summary.rows - summary.holdoutRows,
      cases: 1434,
      trainingCases: 1434 - Math.floor(1434 * 0.2),
      holdoutCases: Math.floor(1434 * 0.2),
      caseIdColumn: "case:concept:name",
      grouped: false, // receipt.csv keeps each case's events together
    });
    expect(summary.columns).toEqual([
      "CASE_ID",
      "ACTIVITY",
      "TIMESTAMP",
      "RESOURCE",
      "TRANSITION",
      "OUTCOME",
      "TREATMENT",
      "TREATMENT_RESOURCE",
      "CASE_ATTRIBUTE_TEXT_case:channel",
      "CASE_ATTRIBUTE_DATETIME_case:deadline",
      "CASE_ATTRIBUTE_TEXT_case:department",
      "CASE_ATTRIBUTE_DATETIME_case:startdate",
      "EVENT_ATTRIBUTE_TEXT_case:enddate",
      "EVENT_ATTRIBUTE_TEXT_case:enddate_planned",
      "EVENT_ATTRIBUTE_TEXT_case:group",
      "EVENT_ATTRIBUTE_TEXT_case:responsible",
      "EVENT_ATTRIBUTE_TEXT_concept:instance",
      "EVENT_ATTRIBUTE_TEXT_org:group",
    ]);

    const output = [result.training, result.holdout].flatMap(
      (csv) => parse(csv, { columns: true }) as Record<string, string>[],
    );
    // Every event once (concept:instance names each), its time in UTC with milliseconds.
    const byInstance = new Map(input.map((row) => [row["concept:instance"], row]));
    expect(output).toHaveLength(input.length);
    for (const row of output) {
      const source = byInstance.get(row["EVENT_ATTRIBUTE_TEXT_concept:instance"]);
      expect(source).toBeDefined();
      byInstance.delete(row["EVENT_ATTRIBUTE_TEXT_concept:instance"]);
      expect(row.TIMESTAMP).toBe(new Date(source?.["time:timestamp"] as string).toISOString());
      expect(row.CASE_ID).toBe(source?.["case:concept:name"]);
    }

    // Each case together, in time order; labels as the rules say.
    const cases = new Map<string, Record<string, string>[]>();
    let previous: string | undefined;
    for (const row of output) {
      const caseId = row.CASE_ID as string;
      if (caseId !== previous) expect(cases.has(caseId)).toBe(false);
      previous = caseId;
      cases.set(caseId, [...(cases.get(caseId) ?? []), row]);
    }
    let positive = 0;
    let treated = 0;
    for (const events of cases.values()) {
      const times = events.map((e) => Date.parse(e.TIMESTAMP as string));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      const outcome = (times.at(-1) as number) - (times[0] as number) <= WEEK_MS ? "1" : "0";
      const checked = events.find((e) => e.ACTIVITY === CHECKED);
      for (const event of events) {
        expect(event.OUTCOME).toBe(outcome);
        expect(event.TREATMENT).toBe(checked ? "1" : "0");
        expect(event.TREATMENT_RESOURCE).toBe(checked?.RESOURCE ?? "");
      }
      if (outcome === "1") positive++;
      if (checked) treated++;
    }
    const holdoutCases = new Set(
      (parse(result.holdout, { columns: true }) as Record<string, string>[]).map((r) => r.CASE_ID),
    );
    const [trainingPositive, trainingTreated] = [...cases.entries()]
      .filter(([caseId]) => !holdoutCases.has(caseId))
      .reduce(
        ([p, t], [, events]) => [p + Number(events[0]?.OUTCOME), t + Number(events[0]?.TREATMENT)],
        [0, 0],
      );
    expect(summary.positiveCases).toBe(trainingPositive);
    expect(summary.treatedCases).toBe(trainingTreated);
    // Both classes occur: the rules make a usable training set.
    expect(positive).toBeGreaterThan(0);
    expect(positive).toBeLessThan(cases.size);
    expect(treated).toBeGreaterThan(0);
    expect(treated).toBeLessThan(cases.size);
  });

  it("writes the same bytes when grouped on disk", async () => {
    const streamed = await normalizeCsv(data, definition, { holdoutFraction: 0.2 });
    const grouped = await normalizeCsv(data, definition, {
      holdoutFraction: 0.2,
      grouping: "always",
    });
    expect(grouped.training).toBe(streamed.training);
    expect(grouped.holdout).toBe(streamed.holdout);
  });
});
