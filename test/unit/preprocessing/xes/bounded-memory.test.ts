/**
 * The reader works in bounded memory: a generated log of many MB, produced lazily (never whole
 * in memory), read into a sink that drops the rows. What stays reachable while it reads
 * (measured after a full garbage collection) must not grow with the log, and the rows of the
 * second pass must keep pace with its input.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { EventRowSink } from "../../../../src/app/preprocessing/event-log/event-rows.js";
import { readXes } from "../../../../src/app/preprocessing/xes/index.js";
import { syntheticXesLog } from "../../../helpers/xes.js";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

const CSV_BYTES = 16_000_000; // its XES twin is about 27 MB
const MiB = 1 << 20;

function reachableHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

describe("readXes in bounded memory", () => {
  it("holds neither the events nor the input it has read, in either pass", async () => {
    const samples: number[] = [];
    let pulled = 0; // bytes the current pass has taken from its source
    let sinceSample = 0;
    async function* open(): AsyncGenerator<Uint8Array> {
      pulled = 0;
      for (const piece of syntheticXesLog(CSV_BYTES)) {
        const bytes = Buffer.from(piece);
        pulled += bytes.length;
        sinceSample += bytes.length;
        if (sinceSample > 4 * MiB) {
          sinceSample = 0;
          samples.push(reachableHeap());
        }
        yield bytes;
      }
    }
    let rows = 0;
    /** [rows emitted, bytes pulled] at each flush of the second pass. */
    const pace: [number, number][] = [];
    const sink: EventRowSink = {
      header: () => {},
      row: () => {
        rows++;
      },
      flush: async () => {
        pace.push([rows, pulled]);
      },
      end: async () => {},
    };

    const baseline = reachableHeap();
    const summary = await readXes(open, sink);
    const totalBytes = pulled;

    expect(totalBytes).toBeGreaterThan(25e6);
    expect(samples.length).toBeGreaterThan(10);
    // One chunk of input (≤ 1 MiB, as bytes and as text), one trace and the columns: a few MiB.
    expect(Math.max(...samples) - baseline).toBeLessThan(8 * MiB);
    // The rows keep pace: never more than a chunk or two of input ahead of them.
    const bytesPerRow = totalBytes / summary.events;
    for (const [emitted, bytes] of pace) {
      expect(bytes - emitted * bytesPerRow).toBeLessThan(3 * MiB);
    }
    expect(pace.length).toBeGreaterThan(10);
  }, 120_000);
});
