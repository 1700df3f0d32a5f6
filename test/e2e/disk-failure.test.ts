// A failed flush of SQLite's WAL (an fsync error: the disk may have dropped what it was handed)
// ends acknowledgements for good: the core answers NOT_SERVING and refuses every later report
// and project with UNAVAILABLE until it is restarted, and keeps running. The test makes the
// flush fail for real: the descriptor the core flushes (its own read-only one on the WAL, beside
// SQLite's read-write one) is made to point at /dev/null, whose fdatasync fails with EINVAL.
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { credentials, Metadata, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  type HealthCheckResponse,
  HealthClient,
  HealthCheckResponse_ServingStatus as Serving,
} from "../../src/gen/grpc/health/v1/health.js";
import { AsyncQueue } from "../helpers/async-queue.js";
import { freshCorePerTest } from "../helpers/fresh-core.js";
import { createProject, failureOf } from "../helpers/projects.js";

/** This process's descriptors open read-only on `path`. */
function readOnlyDescriptorsOf(path: string): number[] {
  return readdirSync("/proc/self/fd")
    .map(Number)
    .filter((fd) => {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`) !== path) return false;
        const flags = /flags:\s+([0-7]+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
        return flags !== null && (Number.parseInt(flags[1] as string, 8) & 3) === 0; // O_RDONLY
      } catch {
        return false; // closed meanwhile
      }
    });
}

/**
 * Makes descriptor `fd` refer to /dev/null: closes it, then opens /dev/null until the kernel
 * hands out that number again (it gives the lowest free one). Fails rather than guess.
 */
function pointAtDevNull(fd: number): void {
  closeSync(fd);
  const extra: number[] = [];
  try {
    for (let i = 0; i < 1000; i++) {
      const opened = openSync("/dev/null", "r");
      if (opened === fd) return;
      extra.push(opened);
    }
    throw new Error(`descriptor ${fd} was taken by something else`);
  } finally {
    for (const other of extra) closeSync(other);
  }
}

describe("a failed flush of the database [sqlite]", () => {
  const env = freshCorePerTest("sqlite");

  it("turns the core NOT_SERVING and every later acknowledgement into UNAVAILABLE", async () => {
    const { core, database } = env;
    const health = env.track(new HealthClient(core.address, credentials.createInsecure()));
    const statuses = new AsyncQueue<Serving>();
    const watch = health.watch({ service: "" }, new Metadata());
    env.track({ close: () => watch.cancel() });
    watch.on("data", (response: HealthCheckResponse) => statuses.push(response.status));
    watch.on("error", () => {});
    expect(await statuses.next(10_000)).toBe(Serving.SERVING);

    const plugin = await env.connect("a");
    await createProject(core.projects, { pluginKeys: ["a"] });
    const td = await plugin.trainingData.next();
    // Acknowledged after a flush: the core holds its WAL descriptor open from now on.
    expect((await plugin.dataReport(td)).code).toBe(status.OK);
    const wal = `${database.url.replace(/^sqlite:/, "")}-wal`;
    const flushed = readOnlyDescriptorsOf(wal);
    expect(flushed).toHaveLength(1);
    pointAtDevNull(flushed[0] as number);

    const refused = await plugin.trainingStart(td);
    expect(refused.code).toBe(status.UNAVAILABLE);
    expect(refused.message).toContain("could not be flushed to disk");
    expect(await statuses.next(10_000)).toBe(Serving.NOT_SERVING);
    // For good: later commits are refused without another flush being tried.
    const failure = await failureOf(createProject(core.projects, { pluginKeys: ["a"] }));
    expect(failure.code).toBe(status.UNAVAILABLE);
    expect(failure.details).toContain("until it is restarted");
    expect((await plugin.trainingStart(td)).code).toBe(status.UNAVAILABLE);
  });
});
