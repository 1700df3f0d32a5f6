import type { PluginSession } from "../plugins/plugin-sessions.js";
import type { InstanceLeases } from "./instance-leases.js";

/**
 * The instance to hand the next membership to: the one with the fewest leases and room for one
 * more, online ones first, and another than `avoid` (whose lease on it ran out) when there is
 * one; the first of equals. One pass without allocations: a key may have thousands of
 * instances, and this runs for every membership handed out.
 */
export function leastLoaded(
  instances: readonly PluginSession[],
  leases: InstanceLeases,
  isOnline: (session: PluginSession) => boolean,
  avoid?: PluginSession,
): PluginSession | undefined {
  let onlineBest: PluginSession | undefined;
  let onlineBestCount = Number.POSITIVE_INFINITY;
  let anyBest: PluginSession | undefined;
  let anyBestCount = Number.POSITIVE_INFINITY;
  let avoidHasRoom = false;
  let avoidOnline = false;
  for (const session of instances) {
    const count = leases.count(session);
    if (count >= leases.capacity) continue;
    const online = isOnline(session);
    if (session === avoid) {
      avoidHasRoom = true;
      avoidOnline = online;
      continue;
    }
    if (online && count < onlineBestCount) {
      onlineBest = session;
      onlineBestCount = count;
    }
    if (count < anyBestCount) {
      anyBest = session;
      anyBestCount = count;
    }
  }
  if (onlineBest) return onlineBest;
  if (avoidHasRoom && avoidOnline) return avoid;
  return anyBest ?? (avoidHasRoom ? avoid : undefined);
}
