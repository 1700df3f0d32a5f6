// readEventLogFile (src/admin.ts, for `training-core stream`): a CSV or XES file, plain or gzip,
// read with preprocessing's readers, so the columns are the names a training file gets.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventLogFileError, readEventLogFile } from "../../../src/admin.js";

const runningExample = new URL("../../../../shared/data/running-example.xes", import.meta.url)
  .pathname;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "training-core-event-log-file-"));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("readEventLogFile", () => {
  it("flattens XES as preprocessing does: case:<key> for trace attributes, event keys as written", async () => {
    const log = await readEventLogFile(runningExample);
    expect(log.columns).toEqual([
      "case:concept:name",
      "case:creator",
      "concept:name",
      "org:resource",
      "time:timestamp",
      "Activity",
      "Resource",
      "Costs",
    ]);
    expect(log.rows).toHaveLength(42);
    expect(log.rows[0]).toEqual([
      "3",
      "Fluxicon Nitro",
      "register request",
      "Pete",
      "2010-12-30T14:32:00.000+01:00",
      "register request",
      "Pete",
      "50",
    ]);
    const gz = join(dir, "running-example.xes.gz");
    await writeFile(gz, gzipSync(await readFile(runningExample)));
    expect(await readEventLogFile(gz)).toEqual(log);
  });

  it("reads a CSV with the core's delimiter detection and BOM handling, plain or gzip", async () => {
    const text = "\uFEFFcase;activity;time\nc1;register;2024-01-01T10:00:00Z\nc1;check;\n";
    const plain = join(dir, "log.csv");
    await writeFile(plain, text);
    const log = await readEventLogFile(plain);
    expect(log).toEqual({
      columns: ["case", "activity", "time"],
      rows: [
        ["c1", "register", "2024-01-01T10:00:00Z"],
        ["c1", "check", ""],
      ],
    });
    const gz = join(dir, "log.csv.gz");
    await writeFile(gz, gzipSync(text));
    expect(await readEventLogFile(gz)).toEqual(log);
  });

  it("says why a file cannot be read: missing, not well-formed, not gzip after all", async () => {
    await expect(readEventLogFile(join(dir, "absent.csv"))).rejects.toThrow(
      expect.objectContaining({
        name: "EventLogFileError",
        message: expect.stringContaining("ENOENT"),
      }),
    );
    const broken = join(dir, "broken.xes");
    await writeFile(broken, "<log>\n<trace>\n");
    const error = await readEventLogFile(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventLogFileError);
    expect((error as Error).message).toMatch(/^line \d+: /);
    const fake = join(dir, "fake.gz");
    await writeFile(fake, Buffer.from([0x1f, 0x8b, 1, 2, 3, 4]));
    await expect(readEventLogFile(fake)).rejects.toBeInstanceOf(EventLogFileError);
  });
});
