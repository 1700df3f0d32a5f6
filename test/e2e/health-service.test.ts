// The standard health service over a real grpc-js server: Check, Watch and List, NOT_SERVING
// until the core says it serves, and again once it closes.
import { credentials, status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  type HealthCheckResponse,
  HealthClient,
  HealthCheckResponse_ServingStatus as Serving,
} from "../../src/gen/grpc/health/v1/health.js";
import { ourServices, standInServerPerDescribe } from "../helpers/stand-in-server.js";

describe("health service (e2e)", () => {
  const server = standInServerPerDescribe();
  const insecure = credentials.createInsecure();

  it("reports NOT_SERVING until setServing(true), for Check and Watch", async () => {
    const healthClient = server.client((a) => new HealthClient(a, insecure));
    const check = (service: string) =>
      new Promise<HealthCheckResponse>((resolve, reject) => {
        healthClient.check({ service }, (error, response) =>
          error ? reject(error) : resolve(response),
        );
      });
    expect((await check("")).status).toBe(Serving.NOT_SERVING);
    expect((await check("trainingcore.v1.ProjectService")).status).toBe(Serving.NOT_SERVING);
    await expect(check("trainingcore.v1.Nope")).rejects.toMatchObject({ code: status.NOT_FOUND });

    const watch = healthClient.watch({ service: "" });
    const unknownWatch = healthClient.watch({ service: "trainingcore.v1.Nope" });
    const seen: Serving[] = [];
    const next = (stream: typeof watch) =>
      new Promise<Serving>((resolve) =>
        stream.once("data", (r: HealthCheckResponse) => resolve(r.status)),
      );
    watch.on("data", (r: HealthCheckResponse) => seen.push(r.status));
    watch.on("error", () => undefined);
    unknownWatch.on("error", () => undefined);
    expect(await next(unknownWatch)).toBe(Serving.SERVICE_UNKNOWN);
    await expect.poll(() => seen).toEqual([Serving.NOT_SERVING]);

    server.health.setServing(true);
    server.health.setServing(true);
    await expect.poll(() => seen).toEqual([Serving.NOT_SERVING, Serving.SERVING]);
    expect((await check("")).status).toBe(Serving.SERVING);
    expect((await check("trainingcore.v1.DatasetService")).status).toBe(Serving.SERVING);

    const listed = await new Promise<Record<string, HealthCheckResponse>>((resolve, reject) => {
      healthClient.list({}, (error, response) =>
        error ? reject(error) : resolve(response.statuses),
      );
    });
    expect(Object.keys(listed).sort()).toEqual(["", ...ourServices].sort());

    const ended = new Promise<void>((resolve) => watch.on("end", resolve));
    server.health.close();
    await ended;
    expect(seen).toEqual([Serving.NOT_SERVING, Serving.SERVING, Serving.NOT_SERVING]);
    expect((await check("")).status).toBe(Serving.NOT_SERVING);
    server.health.setServing(true);
    expect((await check("")).status).toBe(Serving.NOT_SERVING);
    unknownWatch.cancel();
  });
});
