import { describe, expect, it } from "vitest";
import { InstanceLeases } from "../../../../src/app/dispatch/instance-leases.js";
import type { PluginSession } from "../../../../src/app/plugins/plugin-sessions.js";

function session(id: number): PluginSession {
  return {
    id,
    key: "k",
    lastAnswerMs: 0,
    sendTrainingData: async () => {},
    sendPrescriptionRequest: async () => {},
    sendOnlineInquiry() {},
  };
}

describe("InstanceLeases with two kinds of work", () => {
  it("counts memberships and requests in one capacity per instance, apart by id type", () => {
    const leases = new InstanceLeases(2);
    const a = session(1);
    leases.grant(7, a, 1_000);
    leases.grant("7", a, 1_000);
    expect(leases.count(a)).toBe(2);
    expect(leases.free(a)).toBe(0);
    expect(leases.heldBy("k", 0).sort()).toEqual([7, "7"].sort());
    expect(leases.release("7")).toBe("k");
    expect(leases.holder(7, 0)).toBe(a);
    expect(leases.holder("7", 0)).toBeUndefined();
  });

  it("renews only the holder's lease, never shortens it", () => {
    const leases = new InstanceLeases(4);
    const [a, b] = [session(1), session(2)];
    leases.grant("r", a, 1_000);
    expect(leases.renew("r", b, 5_000)).toBe(false);
    expect(leases.renew("r", a, 500)).toBe(true);
    expect(leases.holder("r", 900)).toBe(a);
    expect(leases.renew("r", a, 5_000)).toBe(true);
    expect(leases.expire(2_000).size).toBe(0);
    expect(leases.expire(5_000)).toEqual(new Set(["k"]));
    expect(leases.lapsedHolder("r")).toBe(a);
    expect(leases.renew("r", a, 9_000)).toBe(false);
  });

  it("gives back both kinds when the instance goes away", () => {
    const leases = new InstanceLeases(4);
    const a = session(1);
    leases.grant(1, a, 1_000);
    leases.grant("r", a, 1_000);
    expect([...leases.releaseSession(a)].sort()).toEqual([1, "r"].sort());
    expect(leases.count(a)).toBe(0);
  });
});
