/**
 * One in-memory pass of the `preprocess-throughput` benchmark in a process of its own (so that
 * the passes do not share JIT state): generates the shape's data, then runs the pass three
 * times, the first also warming up, and reports the best.
 */
import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { preprocessDataset } from "../../src/app/preprocessing/csv/index.js";
import type { RecordRouter } from "../../src/app/preprocessing/csv/records.js";
import { RecordScanner } from "../../src/app/preprocessing/csv/scanner.js";
import { type Pass, SplitOnly, timed } from "./dataset-files.js";
import { eventLogChunks, type ShapeName } from "./event-log-shapes.js";

export type InMemoryPassName = "scanner alone" | "pipeline" | "csv-parse alone";

export interface InMemoryPassRequest {
  readonly type: "pass";
  readonly pass: InMemoryPassName;
  readonly shape: ShapeName;
  readonly targetBytes: number;
}

const bytesOf = (chunks: readonly Buffer[]) => chunks.reduce((n, c) => n + c.length, 0);

/** The parser the pipeline uses, with a router that only splits fields: the ceiling. */
function scannerAlone(chunks: readonly Buffer[]): Promise<Pass> {
  return timed(bytesOf(chunks), async () => {
    const router = new SplitOnly();
    const scanner = new RecordScanner(router as unknown as RecordRouter, ",");
    for (const chunk of chunks) await scanner.write(chunk);
    await scanner.end();
    return router.fields > 0 ? router.records : 0;
  });
}

/** preprocessDataset with sinks that drop the output; counts the header like csv-parse does. */
function pipeline(chunks: readonly Buffer[]): Promise<Pass> {
  return timed(bytesOf(chunks), async () => {
    const drop = { write: async (_chunk: Buffer) => {} };
    async function* source() {
      yield* chunks;
    }
    const summary = await preprocessDataset(
      source(),
      { holdoutFraction: 0.2 },
      { training: drop, holdout: drop },
    );
    return summary.rows + 1;
  });
}

/** csv-parse alone: what the pipeline used before, and still uses for quoted records. */
function csvParseAlone(chunks: readonly Buffer[]): Promise<Pass> {
  return timed(bytesOf(chunks), async () => {
    let records = 0;
    for await (const _ of Readable.from(chunks).pipe(parse({ delimiter: "," }))) records++;
    return records;
  });
}

const passes: Record<InMemoryPassName, (chunks: readonly Buffer[]) => Promise<Pass>> = {
  "scanner alone": scannerAlone,
  pipeline,
  "csv-parse alone": csvParseAlone,
};

process.once("message", (request: InMemoryPassRequest) => {
  (async () => {
    const chunks = eventLogChunks(request.shape, request.targetBytes);
    const measure = passes[request.pass];
    let best = await measure(chunks);
    for (let round = 1; round < 3; round++) {
      const next = await measure(chunks);
      if (next.mbPerSecond > best.mbPerSecond) best = next;
    }
    process.send?.({ type: "pass-result", result: best }, () => process.exit(0));
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
