import { describe, expect, it } from "vitest";
import { InstanceLeases } from "../../../../src/app/dispatch/instance-leases.js";
import { type PluginSession, PluginSessions } from "../../../../src/app/plugins/plugin-sessions.js";

function session(id: number, key: string): PluginSession {
  return {
    id,
    key,
    lastAnswerMs: 0,
    sendTrainingData: async () => {},
    sendPrescriptionRequest: async () => {},
    sendOnlineInquiry: () => {},
  };
}

describe("PluginSessions", () => {
  it("keeps every connected instance of a key through adds and removes in any order", () => {
    const sessions = new PluginSessions(1000);
    const all = Array.from({ length: 50 }, (_, i) => session(i, i % 2 ? "odd" : "even"));
    for (const s of all) sessions.add(s);
    sessions.add(all[0] as PluginSession); // twice: still once
    const removed = new Set([0, 7, 48, 49, 13, 2, 3]);
    for (const i of removed) sessions.remove(all[i] as PluginSession);
    sessions.remove(all[0] as PluginSession); // again: nothing happens
    const ids = (key: string) =>
      sessions
        .connected(key)
        .map((s) => s.id)
        .sort((a, b) => a - b);
    const expected = (parity: number) =>
      all.filter((s) => s.id % 2 === parity && !removed.has(s.id)).map((s) => s.id);
    expect(ids("even")).toEqual(expected(0));
    expect(ids("odd")).toEqual(expected(1));
    for (const s of all) sessions.remove(s);
    expect(sessions.keys()).toEqual([]);
    expect(sessions.all()).toEqual([]);
  });
});

describe("InstanceLeases.heldBy", () => {
  it("lists the live leases of a key's instances only", () => {
    const leases = new InstanceLeases(4);
    const a = session(1, "a");
    const b = session(2, "b");
    leases.grant(10, a, 2000);
    leases.grant(11, a, 500); // expired at 1000
    leases.grant(12, b, 2000);
    leases.grant(13, a, 3000);
    expect(leases.heldBy("a", 1000).sort()).toEqual([10, 13]);
    expect(leases.heldBy("b", 1000)).toEqual([12]);
    leases.release(10);
    leases.releaseSession(b);
    expect(leases.heldBy("a", 1000)).toEqual([13]);
    expect(leases.heldBy("b", 1000)).toEqual([]);
  });
});
