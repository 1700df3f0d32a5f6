/**
 * Delivery leases: which connected instance a work item (a WAITING membership, or a
 * prescription request) was handed to, until when. An item is leased to one instance at a time
 * (competing consumers); an instance holds at most `capacity` leases of both kinds together (its
 * in-flight TrainingData and PrescriptionRequests), the rest stay in the store. Leases live in
 * memory: they mean nothing once the streams they name are gone, which a restart ends.
 */
import type { PluginSession } from "../plugins/plugin-sessions.js";

/** A work item: a membership id (number) or a prescription request id (string). */
export type WorkId = number | string;

interface Lease {
  readonly session: PluginSession;
  readonly expiresMs: number;
}

export class InstanceLeases {
  private readonly byItem = new Map<WorkId, Lease>();
  private readonly bySession = new Map<PluginSession, Set<WorkId>>();
  /** The instance whose lease on a membership ran out: the next one goes elsewhere if it can. */
  private readonly lapsed = new Map<WorkId, PluginSession>();

  constructor(readonly capacity: number) {}

  holder(id: WorkId, nowMs: number): PluginSession | undefined {
    const lease = this.byItem.get(id);
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
  heldBy(key: string, nowMs: number): WorkId[] {
    const held: WorkId[] = [];
    for (const [id, lease] of this.byItem) {
      if (lease.session.key === key && lease.expiresMs > nowMs) held.push(id);
    }
    return held;
  }

  lapsedHolder(id: WorkId): PluginSession | undefined {
    return this.lapsed.get(id);
  }

  grant(id: WorkId, session: PluginSession, expiresMs: number): void {
    this.release(id);
    this.lapsed.delete(id);
    this.byItem.set(id, { session, expiresMs });
    const held = this.bySession.get(session) ?? new Set<WorkId>();
    held.add(id);
    this.bySession.set(session, held);
  }

  /** Ends the lease of a membership (it left WAITING, or its lease ran out); its holder's key. */
  release(id: WorkId): string | undefined {
    const lease = this.byItem.get(id);
    if (!lease) return undefined;
    this.byItem.delete(id);
    this.lapsed.delete(id);
    this.bySession.get(lease.session)?.delete(id);
    return lease.session.key;
  }

  /** Ends every lease of a session that went away; the memberships it held. */
  releaseSession(session: PluginSession): Set<WorkId> {
    const held = this.bySession.get(session) ?? new Set<WorkId>();
    for (const id of held) this.byItem.delete(id);
    this.bySession.delete(session);
    for (const [id, holder] of this.lapsed) if (holder === session) this.lapsed.delete(id);
    return held;
  }

  /**
   * Extends the live lease of `session` on an item until `expiresMs` (a request whose answer
   * keeps arriving); false when the session holds no lease on it (any more).
   */
  renew(id: WorkId, session: PluginSession, expiresMs: number): boolean {
    const lease = this.byItem.get(id);
    if (!lease || lease.session !== session) return false;
    if (expiresMs > lease.expiresMs) this.byItem.set(id, { session, expiresMs });
    return true;
  }

  /** Ends expired leases; returns the plugin keys that have work to hand out again. */
  expire(nowMs: number): Set<string> {
    const keys = new Set<string>();
    for (const [id, lease] of this.byItem) {
      if (lease.expiresMs <= nowMs) {
        this.release(id);
        this.lapsed.set(id, lease.session);
        keys.add(lease.session.key);
      }
    }
    return keys;
  }
}
