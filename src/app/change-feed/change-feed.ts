import { EventEmitter } from "node:events";

/** A committed change other parts of the core (and other replicas) react to. */
export type Change =
  /** New events were stored for the project. */
  | { readonly kind: "project"; readonly projectId: number }
  /** WAITING memberships of a plugin key may be ready to hand out (new, or released). */
  | { readonly kind: "work"; readonly key: string }
  /** A membership left WAITING (DataReport, error, deadline): its lease can end. */
  | { readonly kind: "left-waiting"; readonly key: string; readonly membershipId: number }
  /** A prescription job (or one plugin's part of it) changed. */
  | { readonly kind: "job"; readonly jobId: string }
  /** A project's live events changed (events posted, an event complete, events cleared). */
  | { readonly kind: "stream"; readonly projectId: number }
  /** A prescription request left the instance holding it (last part, error, deadline). */
  | { readonly kind: "request-done"; readonly key: string; readonly requestId: string };

/**
 * Notifications sent after a transaction committed: the tables stay the truth, listeners
 * re-read them. One path for every change, so watchers and the dispatcher never see a change
 * before it is durable. Changes made here also go to `onLocalChange` listeners (the bridge to
 * other replicas, see `ChangeFeedBridge`); changes made by other replicas come in through
 * `deliverRemote` and reach the same listeners as local ones, without going back out.
 */
export class ChangeFeed {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  projectChanged(projectId: number): void {
    this.publish({ kind: "project", projectId });
  }

  onProjectChanged(projectId: number, listener: () => void): () => void {
    return this.on(`project:${projectId}`, listener);
  }

  /** Every project listener: after a gap in notifications from other replicas, all re-read. */
  everyProjectChanged(): void {
    for (const name of this.emitter.eventNames()) {
      if (typeof name === "string" && name.startsWith("project:")) this.emitter.emit(name);
    }
  }

  jobChanged(jobId: string): void {
    this.publish({ kind: "job", jobId });
  }

  onJobChanged(jobId: string, listener: () => void): () => void {
    return this.on(`job:${jobId}`, listener);
  }

  /** Every job listener: after a gap in notifications from other replicas, all re-read. */
  everyJobChanged(): void {
    for (const name of this.emitter.eventNames()) {
      if (typeof name === "string" && name.startsWith("job:")) this.emitter.emit(name);
    }
  }

  streamChanged(projectId: number): void {
    this.publish({ kind: "stream", projectId });
  }

  onStreamChanged(projectId: number, listener: () => void): () => void {
    return this.on(`stream:${projectId}`, listener);
  }

  /** Every stream listener: after a gap in notifications from other replicas, all re-read. */
  everyStreamChanged(): void {
    for (const name of this.emitter.eventNames()) {
      if (typeof name === "string" && name.startsWith("stream:")) this.emitter.emit(name);
    }
  }

  requestDone(key: string, requestId: string): void {
    this.publish({ kind: "request-done", key, requestId });
  }

  onRequestDone(listener: (key: string, requestId: string) => void): () => void {
    return this.on("request-done", listener);
  }

  membershipLeftWaiting(key: string, membershipId: number): void {
    this.publish({ kind: "left-waiting", key, membershipId });
  }

  onMembershipLeftWaiting(listener: (key: string, membershipId: number) => void): () => void {
    return this.on("left-waiting", listener);
  }

  workAvailable(keys: Iterable<string>): void {
    for (const key of new Set(keys)) this.publish({ kind: "work", key });
  }

  onWorkAvailable(listener: (key: string) => void): () => void {
    return this.on("work", listener);
  }

  /** Changes made by this replica, once each, for the bridge to the others. */
  onLocalChange(listener: (change: Change) => void): () => void {
    return this.on("local", listener);
  }

  /** A change committed by another replica. */
  deliverRemote(change: Change): void {
    this.deliver(change);
  }

  private publish(change: Change): void {
    // The bridge first: it may ask the listeners about the change before they act on it.
    this.emitter.emit("local", change);
    this.deliver(change);
  }

  private deliver(change: Change): void {
    switch (change.kind) {
      case "project":
        this.emitter.emit(`project:${change.projectId}`);
        break;
      case "work":
        this.emitter.emit("work", change.key);
        break;
      case "left-waiting":
        this.emitter.emit("left-waiting", change.key, change.membershipId);
        break;
      case "job":
        this.emitter.emit(`job:${change.jobId}`);
        break;
      case "request-done":
        this.emitter.emit("request-done", change.key, change.requestId);
        break;
      case "stream":
        this.emitter.emit(`stream:${change.projectId}`);
        break;
    }
  }

  // biome-ignore lint/suspicious/noExplicitAny: EventEmitter listeners take any arguments
  private on(name: string, listener: (...args: any[]) => void): () => void {
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
