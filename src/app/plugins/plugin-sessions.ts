/**
 * The plugin instances connected to this core: one session per open Connect stream, grouped by
 * plugin key. Held in memory only: a stream does not outlive the process, and everything a
 * session is sent is re-derived from the store when it reconnects. With several replicas the
 * online counts also include the other replicas' instances (`SessionDirectory`).
 */
import type { EffectiveDefinition } from "../../domain/event-log/index.js";

export interface TrainingDataMessage {
  readonly projectId: number;
  readonly pluginId: number;
  readonly trainingDfName: string;
  readonly additionalInfo: Record<string, unknown>;
  readonly parameters: Record<string, unknown>;
  /** The project's effective event-log definition; undefined for a project without one. */
  readonly definition: EffectiveDefinition | undefined;
}

/** What a PrescriptionRequest says; `input` grows a case prefix with streaming prescriptions. */
export interface PrescriptionRequestMessage {
  readonly requestId: string;
  readonly projectId: number;
  readonly pluginId: number;
  readonly modelName: string;
  /** The running cases: a dataset to download, or one live case's events so far. */
  readonly input:
    | { readonly kind: "dataset"; readonly datasetName: string }
    | {
        readonly kind: "case";
        readonly caseId: string;
        /** Normalized events (training-set column names), in time order. */
        readonly events: readonly Record<string, string>[];
      };
  readonly parameters: Record<string, unknown>;
  readonly additionalInfo: Record<string, unknown>;
  readonly definition: EffectiveDefinition | undefined;
}

export interface PluginSession {
  readonly id: number;
  readonly key: string;
  /** Last time the instance registered or answered an OnlineInquiry. */
  lastAnswerMs: number;
  /** Resolves once the stream took the message (waits while its buffer is full). */
  sendTrainingData(message: TrainingDataMessage): Promise<void>;
  /** Resolves once the stream took the message (waits while its buffer is full). */
  sendPrescriptionRequest(message: PrescriptionRequestMessage): Promise<void>;
  sendOnlineInquiry(): void;
}

export class PluginSessions {
  private readonly byKey = new Map<string, PluginSession[]>();
  /** Each session's index in its key's array. */
  private readonly position = new Map<PluginSession, number>();
  /** Online instances per key on the other replicas, as of their last heartbeat. */
  private remoteOnline: ReadonlyMap<string, number> = new Map();

  constructor(readonly onlineWindowMs: number) {}

  /** Counts from the other replicas (see session-directory.ts). */
  setRemoteOnline(counts: ReadonlyMap<string, number>): void {
    this.remoteOnline = counts;
  }

  add(session: PluginSession): void {
    if (this.position.has(session)) return;
    const sessions = this.byKey.get(session.key) ?? [];
    this.position.set(session, sessions.length);
    sessions.push(session);
    this.byKey.set(session.key, sessions);
  }

  /** In constant time (the last instance takes the removed one's place): 10,000 streams may close at once. */
  remove(session: PluginSession): void {
    const index = this.position.get(session);
    const sessions = this.byKey.get(session.key);
    if (index === undefined || !sessions) return;
    this.position.delete(session);
    const last = sessions.pop() as PluginSession;
    if (last !== session) {
      sessions[index] = last;
      this.position.set(last, index);
    }
    if (sessions.length === 0) this.byKey.delete(session.key);
  }

  all(): PluginSession[] {
    return [...this.byKey.values()].flat();
  }

  isOnline(session: PluginSession, nowMs: number): boolean {
    return nowMs - session.lastAnswerMs <= this.onlineWindowMs;
  }

  /** Online instances of `key` on every replica. */
  onlineCount(key: string, nowMs: number): number {
    const here = (this.byKey.get(key) ?? []).filter((s) => this.isOnline(s, nowMs)).length;
    return here + (this.remoteOnline.get(key) ?? 0);
  }

  /** Keys with an online instance on any replica. */
  onlineKeys(nowMs: number): string[] {
    const keys = new Set([...this.byKey.keys(), ...this.remoteOnline.keys()]);
    return [...keys].filter((key) => this.onlineCount(key, nowMs) > 0).sort();
  }

  /** Plugin keys with at least one instance connected here. */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  /** Every connected instance of `key`, online or not. */
  connected(key: string): readonly PluginSession[] {
    return this.byKey.get(key) ?? [];
  }
}
