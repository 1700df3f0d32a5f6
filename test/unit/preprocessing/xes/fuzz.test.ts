/**
 * Damaged logs: real and generated XES files cut at random points, with random bytes inserted
 * or overwritten. Each read must end, either cleanly or with a DatasetError; nothing else.
 */
import { describe, expect, it } from "vitest";
import { DatasetError } from "../../../../src/app/preprocessing/csv/errors.js";
import { inspectXesHead } from "../../../../src/app/preprocessing/xes/index.js";
import { syntheticXesLog } from "../../../helpers/xes.js";
import { read, sharedDataFile } from "./helpers.js";

/** A small seeded generator (mulberry32), so that a failure can be replayed. */
function seeded(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * below);
  };
}

const damages = ["cut", "insert", "overwrite"] as const;

function damaged(xml: Buffer, kind: (typeof damages)[number], random: (n: number) => number) {
  const at = random(xml.length + 1);
  if (kind === "cut") return xml.subarray(0, at);
  // Bytes that matter to XML as well as arbitrary ones (invalid UTF-8 included).
  const pool = Buffer.from("<>/=\"'&;!?[]- \n\u00e9abc");
  const bytes = Buffer.from(
    Array.from({ length: 1 + random(8) }, () =>
      random(2) === 0 ? (pool[random(pool.length)] as number) : random(256),
    ),
  );
  const rest = kind === "insert" ? xml.subarray(at) : xml.subarray(at + bytes.length);
  return Buffer.concat([xml.subarray(0, at), bytes, rest]);
}

/** Reads `xml`: resolves to "read" or "DatasetError"; any other failure fails the test. */
async function outcome(xml: Buffer, chunkSize: number): Promise<string> {
  try {
    await read(xml, chunkSize);
    return "read";
  } catch (error) {
    if (error instanceof DatasetError) return "DatasetError";
    throw error;
  }
}

async function fuzz(xml: Buffer, rounds: number, seed: number): Promise<Map<string, number>> {
  const random = seeded(seed);
  const seen = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    const kind = damages[round % damages.length] as (typeof damages)[number];
    const input = damaged(xml, kind, random);
    const result = await outcome(input, 1 + random(70_000)).catch((error: unknown) => {
      throw new Error(`seed ${seed}, round ${round} (${kind}): ${String(error)}`);
    });
    seen.set(result, (seen.get(result) ?? 0) + 1);
    // The head of a damaged log is a head or a DatasetError too.
    await inspectXesHead(input).catch((error: unknown) => {
      if (!(error instanceof DatasetError)) throw error;
    });
  }
  return seen;
}

describe("damaged XES logs end in a clean read or a DatasetError", () => {
  it("a generated log", async () => {
    const xml = Buffer.from([...syntheticXesLog(20_000, 5)].join(""));
    const seen = await fuzz(xml, 300, 1);
    expect(seen.get("DatasetError")).toBeGreaterThan(0);
  });

  const runningExample = sharedDataFile("running-example.xes");
  it.skipIf(!runningExample)("running-example.xes", async () => {
    const seen = await fuzz(runningExample ?? Buffer.alloc(0), 300, 2);
    expect(seen.get("DatasetError")).toBeGreaterThan(0);
  });

  const roadTraffic = sharedDataFile("roadtraffic100traces.xes");
  it.skipIf(!roadTraffic)("roadtraffic100traces.xes", async () => {
    const seen = await fuzz(roadTraffic ?? Buffer.alloc(0), 45, 3);
    expect(seen.get("DatasetError")).toBeGreaterThan(0);
  });
});
