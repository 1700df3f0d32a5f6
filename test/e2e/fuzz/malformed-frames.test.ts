/**
 * Raw malformed HTTP/2 gRPC calls (node:http2) against the real server, both dialects: garbage
 * frames, oversized frames and truncated frames on Connect and on unary CreateProject end with a
 * clean non-zero grpc-status, and the server keeps serving.
 */
import { status } from "@grpc/grpc-js";
import fc from "fast-check";
import { expect, it } from "vitest";
import { HealthCheckResponse_ServingStatus } from "../../../src/gen/grpc/health/v1/health.js";
import { ConnectRequest } from "../../../src/gen/trainingcore/v1/plugin_service.js";
import { describeEachDialect } from "../../helpers/databases.js";
import { fuzzCorePerDescribe, servingStatus } from "../../helpers/fuzz/fuzz-core.js";
import {
  awaitAck,
  createProjectBytes,
  frame,
  hugeIdReport,
  rawCall,
  registration,
  type Step,
} from "../../helpers/fuzz/raw-http2.js";
import { maxReceiveBytes, seed } from "../../helpers/fuzz/settings.js";
import { readStoredState } from "../../helpers/invariants.js";
import { TestPlugin } from "../../helpers/plugin-client.js";
import { createProject, getProject, listPlugins } from "../../helpers/projects.js";

describeEachDialect("malformed gRPC frames", (dialect) => {
  const fuzz = fuzzCorePerDescribe(dialect);

  const connectPath = "/trainingcore.v1.PluginService/Connect";
  const createPath = "/trainingcore.v1.ProjectService/CreateProject";

  it.each<[string, () => Step[]]>([
    ["a frame with an invalid wire type", () => [frame([0x0f])]],
    ["a truncated varint", () => [frame([0x08, 0xff])]],
    ["a length-delimited field longer than the frame", () => [frame([0x52, 0x10, 0x01])]],
    ["0xff bytes", () => [frame(Buffer.alloc(64, 0xff))]],
    [
      "a sequence beyond 2^53 (uint64 that is no safe integer)",
      () => [frame([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])],
    ],
    ["a compressed-flag frame without grpc-encoding", () => [frame([0x08, 0x01], 1)]],
    [
      "garbage after a valid registration",
      () => [frame(registration("raw-garbage")), awaitAck, frame([0x0f])],
    ],
    [
      "a frame larger than the max message size",
      () => [frame(Buffer.alloc(maxReceiveBytes + 1, 0x41))],
    ],
    ["a length prefix of 4 GiB", () => [Buffer.from([0, 0xff, 0xff, 0xff, 0xff, 1, 2, 3])]],
  ])(
    "Connect with %s ends with a non-zero grpc-status and the server keeps serving",
    async (_name, frames) => {
      const result = await rawCall(fuzz.core.address, connectPath, frames());
      expect(result.grpcStatus, JSON.stringify(result)).not.toBe(status.OK);
      expect([status.INTERNAL, status.RESOURCE_EXHAUSTED, status.INVALID_ARGUMENT]).toContain(
        result.grpcStatus,
      );
      await expectStillServing();
    },
  );

  it("Connect with random bytes that are no ConnectRequest ends with INVALID_ARGUMENT, never with OK", async () => {
    // Bytes that decode except for an id beyond 2^53 are refused with an ack instead (below).
    const garbage = fc.uint8Array({ minLength: 1, maxLength: 200 }).filter((bytes) => {
      try {
        ConnectRequest.decode(bytes);
        return false;
      } catch (error) {
        return !/SAFE_INTEGER/.test((error as Error).message);
      }
    });
    await fc.assert(
      fc.asyncProperty(garbage, fc.boolean(), async (bytes, registered) => {
        const frames: Step[] = registered
          ? [frame(registration("raw-random")), awaitAck, frame(bytes)]
          : [frame(bytes)];
        const result = await rawCall(fuzz.core.address, connectPath, frames);
        expect(result.grpcStatus, JSON.stringify(result)).toBe(status.INVALID_ARGUMENT);
        expect(result.grpcMessage).toContain("not a ConnectRequest");
      }),
      { seed, numRuns: 15 },
    );
    await expectStillServing();
  });

  it("a report with a plugin_id beyond 2^53 is refused with an ack and the stream goes on", async () => {
    const result = await rawCall(fuzz.core.address, connectPath, [
      frame(registration("raw-big-id")),
      awaitAck,
      frame(hugeIdReport()),
      awaitAck,
    ]);
    expect(result.grpcStatus, JSON.stringify(result)).toBe(status.OK);
    expect(result.acks).toEqual([1, 2]);
    await expectStillServing();
  });

  it("a stream cut by a garbage frame after registration no longer counts as an online instance", async () => {
    const result = await rawCall(fuzz.core.address, connectPath, [
      frame(registration("raw-offline")),
      awaitAck,
      frame([0x0f]),
    ]);
    expect(result.grpcStatus).toBe(status.INVALID_ARGUMENT);
    expect(result.acks).toEqual([1]);
    const plugin = (await listPlugins(fuzz.core.projects)).plugins.find(
      (p) => p.key === "raw-offline",
    );
    expect(plugin).toMatchObject({ online: false, instances: 0 });
  });

  it.each<[string, () => Buffer[]]>([
    ["garbage bytes", () => [frame([0x0f, 0x01, 0x02])]],
    ["a truncated field", () => [frame([0x0a, 0x40, 0x41])]],
    [
      "a frame larger than the max message size",
      () => [frame(Buffer.alloc(maxReceiveBytes + 1, 0x41))],
    ],
    ["no message at all", () => []],
    ["two messages", () => [frame(createProjectBytes()), frame(createProjectBytes())]],
  ])(
    "unary CreateProject with %s ends with a non-zero grpc-status and the server keeps serving",
    async (_name, frames) => {
      const before = (await readStoredState(fuzz.database.url)).projects.length;
      const result = await rawCall(fuzz.core.address, createPath, frames());
      expect(result.grpcStatus, JSON.stringify(result)).not.toBe(status.OK);
      expect(result.grpcStatus).toBeDefined();
      expect((await readStoredState(fuzz.database.url)).projects.length).toBe(before);
      await expectStillServing();
    },
  );

  it("a truncated last frame ends the call (no hang), is not applied, and the server keeps serving", async () => {
    // grpc-js drops an incomplete message at end-of-stream and treats it as a plain half-close,
    // so the core sees a stream without messages and ends it with OK: that is the library's
    // behaviour (grpc-core would say INTERNAL), not the core's. What the core owes: no hang,
    // nothing applied, still serving.
    const bytes = Buffer.from(registration("raw-truncated"));
    const result = await rawCall(fuzz.core.address, connectPath, [
      frame(bytes).subarray(0, 5),
      bytes.subarray(0, 3),
    ]);
    expect(result.grpcStatus, JSON.stringify(result)).toBeDefined();
    expect(result.acks).toEqual([]);
    const known = (await listPlugins(fuzz.core.projects)).plugins.map((p) => p.key);
    expect(known).not.toContain("raw-truncated");
    await expectStillServing();
  });

  async function expectStillServing(): Promise<void> {
    expect(await servingStatus(fuzz.health)).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const project = await createProject(fuzz.core.projects, { pluginKeys: ["fz-a"] });
    expect((await getProject(fuzz.core.projects, project.id)).id).toBe(project.id);
    const plugin = await TestPlugin.connect(fuzz.core.address, "fz-b");
    expect((await plugin.send(undefined)).code).toBe(status.INVALID_ARGUMENT);
    plugin.close();
  }
});
