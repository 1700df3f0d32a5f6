/**
 * A CSV event log and its XES twin give byte-identical training and holdout sets with the same
 * definition, also when the CSV interleaves its cases (grouped on disk) and the XES, one trace
 * per case, does not (streamed).
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  type NormalizeOptions,
  normalizeEventLog,
} from "../../../../src/app/preprocessing/event-log/normalize-event-log.js";
import { readXes } from "../../../../src/app/preprocessing/xes/index.js";
import type { EventLogDefinition } from "../../../../src/domain/event-log/index.js";
import { condition, rule } from "../../../helpers/event-log.js";
import { type TwinOptions, xesTwinOf } from "../../../helpers/xes.js";
import { chunked, MemorySink } from "../csv/helpers.js";
import { definitionOf, normalizeCsv } from "./helpers.js";

async function normalizeXes(xes: string, definition: EventLogDefinition, holdoutFraction: number) {
  const data = Buffer.from(xes);
  const options: NormalizeOptions = {
    read: async (sink) => {
      await readXes(() => chunked(data, 4096), sink);
    },
    definition,
    holdoutFraction,
    outputs: {
      open: async () => ({ training: new MemorySink(), holdout: new MemorySink() }),
      discard: async () => {},
    },
  };
  const { summary, sinks } = await normalizeEventLog(options);
  return {
    summary,
    training: (sinks.training as MemorySink).text,
    holdout: (sinks.holdout as MemorySink).text,
  };
}

async function expectTwinsAlike(
  csv: string | Buffer,
  twin: TwinOptions,
  definition: EventLogDefinition,
  holdoutFraction: number,
) {
  const text = typeof csv === "string" ? csv : csv.toString("utf8");
  const fromCsv = await normalizeCsv(text, definition, { holdoutFraction });
  const fromXes = await normalizeXes(
    xesTwinOf(text, "case:concept:name", twin),
    definition,
    holdoutFraction,
  );
  expect(fromXes.summary.columns).toEqual(fromCsv.summary.columns);
  expect(fromXes.training).toBe(fromCsv.training);
  expect(fromXes.holdout).toBe(fromCsv.holdout);
  return { fromCsv, fromXes };
}

describe("a CSV event log and its XES twin", () => {
  it("give the same sets, the CSV interleaving its cases and out of time order", async () => {
    const csv = [
      "case:concept:name,case:channel,concept:name,time:timestamp,org:resource,amount",
      "c1,web,submit,2020-01-01T10:00:00.000+01:00,ann,12.5",
      "c2,mail,submit,2020-01-01T08:00:00.000+00:00,bob,3",
      "c1,web,check,2020-01-01T08:30:00.000+00:00,cat,",
      "c3,web,submit,2020-01-02T08:00:00.000+00:00,ann,7",
      "c2,mail,approve,2020-01-01T07:00:00.000-02:00,dan,1e1",
      "c1,web,approve,2020-01-01T09:00:00.000+00:00,bob,0",
      "",
    ].join("\n");
    const definition = definitionOf(
      { amount: "NUMBER" },
      {
        caseAttributes: ["case:channel"],
        positiveOutcome: rule([condition("ACTIVITY", "EQUAL", "approve")]),
        treatment: rule([condition("amount", "GREATER_THAN", "5")]),
      },
    );
    const { fromCsv, fromXes } = await expectTwinsAlike(
      csv,
      { types: { "time:timestamp": "date", amount: "float" } },
      definition,
      0.34,
    );
    expect(fromCsv.summary.grouped).toBe(true);
    expect(fromXes.summary.grouped).toBe(false);
    expect(fromCsv.training.split("\n")[0]).toBe(
      "CASE_ID,ACTIVITY,TIMESTAMP,RESOURCE,OUTCOME,TREATMENT,TREATMENT_RESOURCE," +
        "CASE_ATTRIBUTE_TEXT_case:channel,EVENT_ATTRIBUTE_NUMBER_amount",
    );
  });

  const receiptPath = fileURLToPath(
    new URL("../../../../../shared/data/receipt.csv", import.meta.url),
  );
  it.skipIf(!existsSync(receiptPath))(
    "give the same sets for receipt.csv (skipped when ../shared/data/receipt.csv is missing)",
    async () => {
      const definition = definitionOf(
        {},
        {
          caseAttributes: ["case:channel", "case:department"],
          positiveOutcome: rule([condition("DURATION", "LESS_THAN_OR_EQUAL", "7 days")]),
          treatment: rule([condition("ACTIVITY", "EQUAL", "T02 Check confirmation of receipt")]),
        },
      );
      const { fromCsv } = await expectTwinsAlike(
        readFileSync(receiptPath),
        { types: { "time:timestamp": "date" } },
        definition,
        0.2,
      );
      expect(fromCsv.summary.rows).toBe(8577);
    },
  );
});
