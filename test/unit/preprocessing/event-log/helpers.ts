/** Shared helpers for the event-log preprocessing tests (not a test file). */
import { expect } from "vitest";
import { DatasetError } from "../../../../src/app/preprocessing/csv/errors.js";
import {
  type NormalizeOptions,
  normalizeEventLog,
} from "../../../../src/app/preprocessing/event-log/normalize-event-log.js";
import type { EventLogSummary } from "../../../../src/app/preprocessing/event-log/normalizer.js";
import { readCsvEventLog } from "../../../../src/app/preprocessing/event-log/read-csv.js";
import type {
  ColumnDefinition,
  EventLogDefinition,
} from "../../../../src/domain/event-log/index.js";
import { chunked, MemorySink } from "../csv/helpers.js";

/** A requested definition: some columns defined (the others inferred), and rules. */
export function definitionOf(
  columns: Record<string, ColumnDefinition> = {},
  rules: Partial<Omit<EventLogDefinition, "columns">> = {},
): EventLogDefinition {
  return { columns: new Map(Object.entries(columns)), caseAttributes: [], ...rules };
}

export interface Normalized {
  readonly summary: EventLogSummary;
  readonly training: string;
  readonly holdout: string;
  /** Passes started (sinks opened) and abandoned (sinks discarded). */
  readonly opened: number;
  readonly discarded: number;
}

export interface NormalizeCsvOptions
  extends Partial<Pick<NormalizeOptions, "grouping" | "tempDir" | "caseIdColumn">> {
  readonly holdoutFraction?: number;
  /** Bytes per input chunk (default: all at once). */
  readonly chunkSize?: number;
}

/** Normalizes a CSV event log into memory. */
export async function normalizeCsv(
  input: string | Uint8Array,
  definition: EventLogDefinition,
  options: NormalizeCsvOptions = {},
): Promise<Normalized> {
  const data = typeof input === "string" ? Buffer.from(input, "utf8") : Buffer.from(input);
  let opened = 0;
  let discarded = 0;
  const { summary, sinks } = await normalizeEventLog({
    read: async (sink) => {
      await readCsvEventLog(chunked(data, options.chunkSize ?? Number.MAX_SAFE_INTEGER), sink);
    },
    definition,
    holdoutFraction: options.holdoutFraction ?? 0,
    outputs: {
      open: async () => {
        opened++;
        return { training: new MemorySink(), holdout: new MemorySink() };
      },
      discard: async () => {
        discarded++;
      },
    },
    ...(options.caseIdColumn === undefined ? {} : { caseIdColumn: options.caseIdColumn }),
    ...(options.grouping === undefined ? {} : { grouping: options.grouping }),
    ...(options.tempDir === undefined ? {} : { tempDir: options.tempDir }),
  });
  return {
    summary,
    training: (sinks.training as MemorySink).text,
    holdout: (sinks.holdout as MemorySink).text,
    opened,
    discarded,
  };
}

/** Normalizes expecting a DatasetError, and returns it. */
export async function normalizeFailing(
  input: string,
  definition: EventLogDefinition,
  options: NormalizeCsvOptions = {},
): Promise<DatasetError> {
  const error: unknown = await normalizeCsv(input, definition, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

/** Lines of a CSV text without its final line end. */
export function linesOf(csv: string): string[] {
  return csv.replace(/\n$/, "").split("\n");
}
