import { EventEmitter, once } from "node:events";
import { status } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { OpenStreams } from "../../../src/transport/open-streams.js";

describe("OpenStreams", () => {
  it("ends every tracked call with UNAVAILABLE, and forgets ended ones", async () => {
    const streams = new OpenStreams();
    const [a, b] = [new EventEmitter(), new EventEmitter()];
    streams.add(a);
    streams.add(b);
    streams.remove(b);
    const ended = once(a, "error");
    let bEnded = false;
    b.on("error", () => {
      bEnded = true;
    });
    streams.endAll("shutting down");
    expect((await ended)[0]).toMatchObject({ code: status.UNAVAILABLE, details: "shutting down" });
    expect(bEnded).toBe(false);
    expect(streams.size).toBe(0);
  });

  it("ends a call that arrives after endAll at once", async () => {
    const streams = new OpenStreams();
    streams.endAll("shutting down");
    const late = new EventEmitter();
    const ended = once(late, "error");
    streams.add(late);
    expect((await ended)[0]).toMatchObject({ code: status.UNAVAILABLE });
    expect(streams.size).toBe(0);
  });
});
