// downloadModel against a stand-in client: resuming at the first byte not yet written after
// UNAVAILABLE, giving up on other errors without leaving a file, and the cache.
import { EventEmitter } from "node:events";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { status } from "@grpc/grpc-js";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { ModelServiceClient } from "../../../src/gen/trainingcore/v1/model_service.js";
import { downloadModel, ModelCache } from "../../../src/sdk/index.js";

const model = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz");
const fast = { initialDelayMs: 1, maxDelayMs: 2 };

/** Serves `model` in 5-byte chunks; each planned failure cuts one call after `after` chunks. */
function standIn(failures: { after: number; code: number }[]) {
  const offsets: number[] = [];
  const client = {
    downloadModel(request: { offset: number }) {
      offsets.push(request.offset);
      const failure = failures.shift();
      const call = new EventEmitter() as EventEmitter & { cancel(): void };
      call.cancel = () => {};
      return Object.assign(call, {
        async *[Symbol.asyncIterator]() {
          let sent = 0;
          for (let at = request.offset; at < model.length; at += 5) {
            if (failure && sent === failure.after) {
              throw Object.assign(new Error("cut"), { code: failure.code, details: "cut" });
            }
            sent++;
            yield { chunk: model.subarray(at, at + 5) };
          }
        },
      });
    },
  };
  return { client: client as unknown as ModelServiceClient, offsets };
}

let dir = "";
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "model-download-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it("resumes at the first byte not yet written after UNAVAILABLE", async () => {
  const { client, offsets } = standIn([
    { after: 2, code: status.UNAVAILABLE },
    { after: 3, code: status.UNAVAILABLE },
  ]);
  const path = join(dir, "m.bin");
  const got = await downloadModel(client, 1, 2, { path, reconnect: fast });
  expect(offsets).toEqual([0, 10, 25]);
  expect(got).toMatchObject({ path, sizeBytes: model.length, projectId: 1, pluginId: 2 });
  expect(await readFile(path)).toEqual(model);
  expect(await readdir(dir)).toEqual(["m.bin"]);
});

it("gives up on any other error, leaving no file", async () => {
  const { client } = standIn([{ after: 2, code: status.NOT_FOUND }]);
  const failure = downloadModel(client, 1, 2, { path: join(dir, "m.bin"), reconnect: fast });
  await expect(failure).rejects.toMatchObject({ code: status.NOT_FOUND });
  expect(await readdir(dir)).toEqual([]);
});

it("caches per project and membership, and forgets a failed download", async () => {
  const { client, offsets } = standIn([{ after: 0, code: status.PERMISSION_DENIED }]);
  const cache = new ModelCache(join(dir, "cache"));
  await expect(downloadModel(client, 1, 2, { cache, reconnect: fast })).rejects.toMatchObject({
    code: status.PERMISSION_DENIED,
  });
  const [a, b] = await Promise.all([
    downloadModel(client, 1, 2, { cache }),
    downloadModel(client, 1, 2, { cache }),
  ]);
  const c = await downloadModel(client, 1, 3, { cache });
  expect(offsets).toEqual([0, 0, 0]); // the failure, then one download per membership
  expect(b?.path).toBe(a?.path);
  expect(c.path).not.toBe(a?.path);
  expect(await a?.read()).toEqual(model);
  await cache.clear();
  expect(await readdir(dir)).toEqual([]);
});
