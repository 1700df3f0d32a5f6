/**
 * An event log with a definition is normalized in the preprocessing worker thread (SQLite), as a
 * plain CSV is: the blobs it stores are byte for byte what the in-process pass writes, for a
 * CSV whose cases interleave (a stream pass abandoned, its blobs deleted, then a grouped pass),
 * for a CSV of several MiB with quoted cells (read through reused buffers), gzipped or not, and
 * for XES (parsed once into a spool); progress comes from the worker; a bad cell is a rejection
 * naming its line, with no output blob left behind.
 */
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SetSinks } from "../../src/app/preprocessing/event-log-pass.js";
import { preprocessEventLog } from "../../src/app/preprocessing/event-log-pass.js";
import { preprocessInWorker } from "../../src/app/preprocessing/worker/start-worker.js";
import { definitionToJson, type EventLogDefinition } from "../../src/domain/event-log/index.js";
import { BlobWriter } from "../../src/store/blobs/blob-writer.js";
import { openStore, type Store } from "../../src/store/connect.js";
import { readBlobChunks } from "../../src/store/sql/blobs.js";
import { createTestDatabaseUrl, type TestDatabase } from "../helpers/databases.js";
import { syntheticEventLog } from "../helpers/datasets.js";
import { condition, rule } from "../helpers/event-log.js";
import { xesTwinOf } from "../helpers/xes.js";
import { chunked, MemorySink } from "../unit/preprocessing/csv/helpers.js";

const definition: EventLogDefinition = {
  columns: new Map([
    ["case:deadline", "DATETIME"],
    ["case:startdate", "DATETIME"],
    ["case:enddate_planned", "DATETIME"],
    ["case:enddate", "DATETIME"],
  ]),
  caseAttributes: ["case:channel", "case:responsible"],
  negativeOutcome: rule([condition("DURATION", "GREATER_THAN", "0.5 days")]),
  treatment: rule([condition("ACTIVITY", "EQUAL", "T06 Determine necessity of stop advice")]),
};
const definitionJson = definitionToJson(definition);

/** About 2 MB of the synthetic log, with its first case coming back at the end (interleaved). */
function interleavedLog(): string {
  const log = [...syntheticEventLog(2_000_000)].join("");
  const firstRow = log.split("\n")[1] as string;
  return `${log}${firstRow.replace(/task-1-0/, "task-1-late")}\n`;
}

/**
 * About 6 MB of the synthetic log whose resources are quoted cells with a comma, doubled quotes
 * and two-byte characters, one of them 1.6 MB long (streamed to csv-parse).
 */
function quotedLog(): Buffer {
  const lines = [...syntheticEventLog(6_000_000)].join("").split("\n");
  for (let i = 1; i < lines.length - 1; i += 7) {
    lines[i] = (lines[i] as string).replace(/,Resource(\d+),/, ',"Résource, ""$1""",');
  }
  const long = Math.floor(lines.length / 2);
  lines[long] = (lines[long] as string).replace(/,Resource\d+,/, `,"${"ü".repeat(800_000)}",`);
  return Buffer.from(lines.join("\n"));
}

describe("event-log preprocessing in the worker thread [sqlite]", () => {
  let database: TestDatabase;
  let store: Store;
  let filename: string;

  beforeEach(async () => {
    database = await createTestDatabaseUrl("sqlite");
    store = await openStore(database.url);
    filename = database.url.slice("sqlite:".length);
  });

  afterEach(async () => {
    await store.close();
    await database.drop();
  });

  async function storeRaw(data: Buffer): Promise<string> {
    const writer = await BlobWriter.create(store.db, "ds");
    for (let at = 0; at < data.length; at += 100_003) {
      await writer.write(data.subarray(at, at + 100_003));
    }
    return (await writer.finish()).id;
  }

  async function blobText(id: string): Promise<string> {
    const parts: Buffer[] = [];
    for await (const chunk of readBlobChunks(store.db, id)) parts.push(Buffer.from(chunk));
    return Buffer.concat(parts).toString();
  }

  async function blobIds(): Promise<string[]> {
    return (await store.db("blobs").select("id").orderBy("id")).map((row) => row.id as string);
  }

  function inWorker(rawBlobId: string, rawBytes: number, progress: number[] = []) {
    return preprocessInWorker(
      store.db,
      { sqliteFilename: filename },
      { rawBlobId, rawBytes, caseIdColumn: "", holdoutFraction: 0.2, definitionJson },
      new AbortController().signal,
      ({ rows }) => progress.push(rows),
    );
  }

  async function inProcess(data: Buffer) {
    const { summary, sinks } = await preprocessEventLog<SetSinks & { training: MemorySink }>(
      {
        open: () => chunked(data, 1 << 20),
        definitionJson,
        caseIdColumn: "",
        holdoutFraction: 0.2,
        onStoredBytes: () => {},
      },
      {
        open: async () => ({ training: new MemorySink(), holdout: new MemorySink() }),
        discard: async () => {},
      },
    );
    return { summary, training: sinks.training.text, holdout: (sinks.holdout as MemorySink).text };
  }

  it.each([
    ["an interleaved CSV", () => Buffer.from(interleavedLog())],
    // Read into a few reused buffers: records, quotes and characters across many chunk ends.
    ["a CSV of several MiB with quoted cells and a record longer than a MiB", quotedLog],
    // Stored uncompressed (level 0): several MiB of gzip, which gunzip reads ahead of its output.
    ["a gzip-compressed CSV", () => gzipSync(quotedLog(), { level: 0 })],
    [
      "an XES log",
      () => Buffer.from(xesTwinOf([...syntheticEventLog(1_500_000)].join(""), "case:concept:name")),
    ],
  ])("stores what the in-process pass writes, for %s", { timeout: 60_000 }, async (_, make) => {
    const data = make();
    const raw = await storeRaw(data);
    const progress: number[] = [];
    const outcome = await inWorker(raw, data.length, progress);
    const expected = await inProcess(data);
    if (outcome.type !== "done") throw new Error(`not done: ${outcome.reason}`);
    expect(outcome.summary).toEqual(expected.summary);
    expect(await blobText(outcome.trainingBlobId)).toBe(expected.training);
    expect(await blobText(outcome.holdoutBlobId)).toBe(expected.holdout);
    expect(progress.at(-1)).toBe(expected.summary.rows);
    expect(progress.length).toBeGreaterThan(1);
    // Only the stored file and the two sets: an abandoned pass's blobs were deleted.
    expect(await blobIds()).toEqual([raw, outcome.holdoutBlobId, outcome.trainingBlobId].sort());
  });

  it("marks the interleaved log grouped", { timeout: 60_000 }, async () => {
    const data = Buffer.from(interleavedLog());
    const outcome = await inWorker(await storeRaw(data), data.length);
    expect(outcome.type === "done" && "grouped" in outcome.summary && outcome.summary.grouped).toBe(
      true,
    );
  });

  it("rejects a bad cell with its line, leaving no output blob", { timeout: 60_000 }, async () => {
    const lines = interleavedLog().split("\n");
    const bad = lines.length - 10; // 0-based: physical line bad + 1
    lines[bad] = (lines[bad] as string).replace(/,[^,]*$/, ",yesterday");
    const data = Buffer.from(lines.join("\n"));
    const raw = await storeRaw(data);
    const outcome = await inWorker(raw, data.length);
    expect(outcome).toEqual({
      type: "rejected",
      reason: expect.stringMatching(new RegExp(`^line ${bad + 1}: column time:timestamp: `)),
    });
    expect(await blobIds()).toEqual([raw]);
  });
});
