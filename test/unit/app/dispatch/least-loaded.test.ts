import { describe, expect, it } from "vitest";
import { InstanceLeases } from "../../../../src/app/dispatch/instance-leases.js";
import { leastLoaded } from "../../../../src/app/dispatch/least-loaded.js";
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

/** The rule, stated plainly: room first, then online, then not `avoid`, then fewest leases. */
function expected(
  instances: PluginSession[],
  count: (s: PluginSession) => number,
  capacity: number,
  online: (s: PluginSession) => boolean,
  avoid?: PluginSession,
): PluginSession | undefined {
  const withRoom = instances.filter((s) => count(s) < capacity);
  const onlineWithRoom = withRoom.filter(online);
  const preferred = onlineWithRoom.length > 0 ? onlineWithRoom : withRoom;
  const others = preferred.filter((s) => s !== avoid);
  const candidates = others.length > 0 ? others : preferred;
  let best: PluginSession | undefined;
  for (const s of candidates) if (!best || count(s) < count(best)) best = s;
  return best;
}

describe("leastLoaded", () => {
  it("agrees with the rule for every load, online state and avoided instance of up to 3 instances", () => {
    const capacity = 2;
    let cases = 0;
    for (let n = 0; n <= 3; n++) {
      // Each instance: 0..capacity leases (capacity = full) and online or not: 6 states.
      for (let code = 0; code < 6 ** n; code++) {
        const instances = Array.from({ length: n }, (_, i) => session(i));
        const leases = new InstanceLeases(capacity);
        const onlineSet = new Set<PluginSession>();
        let next = 1;
        for (const [i, s] of instances.entries()) {
          const state = Math.floor(code / 6 ** i) % 6;
          for (let l = 0; l < state % 3; l++) leases.grant(next++, s, Number.MAX_SAFE_INTEGER);
          if (state >= 3) onlineSet.add(s);
        }
        const online = (s: PluginSession) => onlineSet.has(s);
        for (const avoid of [undefined, ...instances]) {
          cases++;
          expect(leastLoaded(instances, leases, online, avoid)).toBe(
            expected(instances, (s) => leases.count(s), capacity, online, avoid),
          );
        }
      }
    }
    expect(cases).toBe(1 + 6 * 2 + 36 * 3 + 216 * 4);
  });
});
