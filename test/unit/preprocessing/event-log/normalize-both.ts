/** Normalizes a CSV log in both modes for the normalize tests (not a test file). */
import { expect } from "vitest";
import {
  definitionOf,
  type NormalizeCsvOptions,
  type Normalized,
  normalizeCsv,
} from "./helpers.js";

type Definition = Parameters<typeof normalizeCsv>[1];

/** Normalizes in stream mode (falling back as needed) and grouped mode; asserts equal bytes. */
export async function normalizeBoth(
  csv: string,
  definition: Definition = definitionOf(),
  options: NormalizeCsvOptions = {},
): Promise<Normalized> {
  const streamed = await normalizeCsv(csv, definition, options);
  const grouped = await normalizeCsv(csv, definition, { ...options, grouping: "always" });
  expect(grouped.training).toBe(streamed.training);
  expect(grouped.holdout).toBe(streamed.holdout);
  expect({ ...grouped.summary, grouped: false }).toEqual({ ...streamed.summary, grouped: false });
  return streamed;
}

/** A CSV file of `lines`, each ended by a newline. */
export const log = (...lines: string[]) => `${lines.join("\n")}\n`;
