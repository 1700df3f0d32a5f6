/**
 * Runs one in-process pass of the `datasets` benchmark in a process of its own, so that the
 * passes do not share JIT state (the scanner's call into its router would otherwise see two
 * kinds of router and be slower for both): best of two runs, the first also warming up.
 */
import {
  bareCsvParse,
  bareScanner,
  type GeneratedFile,
  inProcessPipeline,
  type Pass,
} from "./dataset-files.js";

export type PassName = "scanner alone" | "pipeline in-process" | "csv-parse alone";

export interface PassRequest {
  readonly type: "pass";
  readonly pass: PassName;
  readonly file: GeneratedFile;
  /** csv-parse reads at most this much of the file. */
  readonly limitBytes: number;
}

const passes: Record<PassName, (request: PassRequest) => Promise<Pass>> = {
  "scanner alone": (r) => bareScanner(r.file),
  "pipeline in-process": (r) => inProcessPipeline(r.file),
  "csv-parse alone": (r) => bareCsvParse(r.file, r.limitBytes),
};

process.once("message", (request: PassRequest) => {
  const measure = passes[request.pass];
  (async () => {
    let result = await measure(request);
    const runs = Math.min(10, Math.max(2, Math.ceil(300e6 / result.bytes)));
    for (let run = 1; run < runs; run++) {
      const next = await measure(request);
      if (next.mbPerSecond > result.mbPerSecond) result = next;
    }
    process.send?.({ type: "pass-result", result }, () => process.exit(0));
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});
