/**
 * `preprocess-throughput`: the preprocessing pipeline alone, in memory (no store, no gRPC), on
 * event logs of three shapes (receipt-like without quotes, a quoted activity on a third of the
 * rows, a quoted field on every row). Ceiling from the same run: the pipeline's own scanner with
 * a router that only splits fields. csv-parse alone is shown beside them for reference.
 *
 *   npm run bench -- preprocess-throughput [--mb 50] [--shapes receipt,quoted-third,quoted-all]
 */
import { parseArgs } from "node:util";
import type { Pass } from "./lib/dataset-files.js";
import { type ShapeName, shapeNames } from "./lib/event-log-shapes.js";
import type { InMemoryPassName, InMemoryPassRequest } from "./lib/preprocess-pass-worker.js";
import { forkWorker } from "./lib/processes.js";
import { describeMachine, machine, printTable, writeResults } from "./lib/report.js";

const passNames: readonly InMemoryPassName[] = ["scanner alone", "pipeline", "csv-parse alone"];

/** One pass in a fresh process, which generates the data itself (the same bytes each time). */
async function inWorker(pass: InMemoryPassName, shape: ShapeName, targetBytes: number) {
  const worker = forkWorker<{ type: string; result?: Pass }>("preprocess-pass-worker.ts");
  try {
    const request: InMemoryPassRequest = { type: "pass", pass, shape, targetBytes };
    worker.send(request);
    const { result } = await worker.next<{ type: string; result: Pass }>("pass-result", 600_000);
    return result;
  } finally {
    worker.kill();
  }
}

function shapesOf(list: string): ShapeName[] {
  const wanted = list.split(",").filter(Boolean);
  const unknown = wanted.filter((name) => !(shapeNames as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new Error(`unknown shape ${unknown.join(", ")}: use ${shapeNames.join(", ")}`);
  }
  return wanted as ShapeName[];
}

export async function run(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      mb: { type: "string", default: "50" },
      shapes: { type: "string", default: shapeNames.join(",") },
    },
  });
  const targetBytes = Number(values.mb) * 1e6;
  console.log(describeMachine(machine()));
  const rows = [];
  for (const shape of shapesOf(values.shapes)) {
    const passes = new Map<InMemoryPassName, Pass>();
    for (const pass of passNames) passes.set(pass, await inWorker(pass, shape, targetBytes));
    const [scanner, pipeline, csvParse] = passNames.map((name) => passes.get(name) as Pass);
    if (!scanner || !pipeline || !csvParse) throw new Error(`a pass of ${shape} is missing`);
    rows.push({
      shape,
      MB: pipeline.bytes / 1e6,
      records: pipeline.records,
      "scanner MB/s": scanner.mbPerSecond,
      "pipeline MB/s": pipeline.mbPerSecond,
      "pipeline/scanner": pipeline.mbPerSecond / scanner.mbPerSecond,
      "pipeline MB/cpu-s": pipeline.mbPerCpuSecond,
      "csv-parse MB/s": csvParse.mbPerSecond,
    });
  }
  printTable("Preprocessing in memory (best of 3, each pass in a process of its own)", rows);
  writeResults("preprocess-throughput", rows);
}
