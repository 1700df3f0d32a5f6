/**
 * Delivery leases: which connected instance a WAITING membership was handed to, until when.
 * A membership is leased to one instance at a time (competing consumers); an instance holds at
 * most `capacity` leases (its in-flight TrainingData), the rest stay in the store. Leases live
 * in memory: they mean nothing once the streams they name are gone, which a restart ends.
 */
import type { PluginSession } from "../plugins/plugin-sessions.js";

interface Lease {
  readonly session: PluginSession;
  readonly expiresMs: number;
}

export class InstanceLeases {
  private readonly byMembership = new Map<number, Lease>();
  private readonly bySession = new Map<PluginSession, Set<number>>();
  /** The instance whose lease on a membership ran out: the next one goes elsewhere if it can. */
  private readonly lapsed = new Map<number, PluginSession>();

  constructor(readonly capacity: number) {}

  holder(membershipId: number, nowMs: number): PluginSession | undefined {
    const lease = this.byMembership.get(membershipId);
    return lease && lease.expiresMs > nowMs ? lease.session : undefined;
  }

  count(session: PluginSession): number {
    return this.bySession.get(session)?.size ?? 0;
  }

  free(session: PluginSession): number {
    return Math.max(0, this.capacity - this.count(session));
  }

  /**
   * The memberships instances of `key` hold live (unexpired) leases on. Walks the leases, not
   * the instances: a key may have 10,000 idle instances and a handful of leases.
   */
  heldBy(key: string, nowMs: number): number[] {
    const held: number[] = [];
    for (const [id, lease] of this.byMembership) {
      if (lease.session.key === key && lease.expiresMs > nowMs) held.push(id);
    }
    return held;
  }

  lapsedHolder(membershipId: number): PluginSession | undefined {
    return this.lapsed.get(membershipId);
  }

  grant(membershipId: number, session: PluginSession, expiresMs: number): void {
    this.release(membershipId);
    this.lapsed.delete(membershipId);
    this.byMembership.set(membershipId, { session, expiresMs });
    const held = this.bySession.get(session) ?? new Set<number>();
    held.add(membershipId);
    this.bySession.set(session, held);
  }

  /** Ends the lease of a membership (it left WAITING, or its lease ran out); its holder's key. */
  release(membershipId: number): string | undefined {
    const lease = this.byMembership.get(membershipId);
    if (!lease) return undefined;
    this.byMembership.delete(membershipId);
    this.lapsed.delete(membershipId);
    this.bySession.get(lease.session)?.delete(membershipId);
    return lease.session.key;
  }

  /** Ends every lease of a session that went away; the memberships it held. */
  releaseSession(session: PluginSession): Set<number> {
    const held = this.bySession.get(session) ?? new Set<number>();
    for (const id of held) this.byMembership.delete(id);
    this.bySession.delete(session);
    for (const [id, holder] of this.lapsed) if (holder === session) this.lapsed.delete(id);
    return held;
  }

  /** Ends expired leases; returns the plugin keys that have work to hand out again. */
  expire(nowMs: number): Set<string> {
    const keys = new Set<string>();
    for (const [id, lease] of this.byMembership) {
      if (lease.expiresMs <= nowMs) {
        this.release(id);
        this.lapsed.set(id, lease.session);
        keys.add(lease.session.key);
      }
    }
    return keys;
  }
}
