import { EventEmitter } from "node:events";
import type { TrainingDataMessage } from "./plugin-sessions.js";

export interface Delivery {
  readonly key: string;
  readonly message: TrainingDataMessage;
}

/**
 * In-process notifications sent after a transaction committed: the tables stay the truth,
 * listeners re-read them. One path for every change, so watchers and the dispatcher never
 * see a change before it is durable.
 */
export class ChangeFeed {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  /** New events were stored for the project. */
  projectChanged(projectId: number): void {
    this.emitter.emit(`project:${projectId}`);
  }

  onProjectChanged(projectId: number, listener: () => void): () => void {
    const name = `project:${projectId}`;
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }

  /** An assignment left WAITING (DataReport, error, deadline): its lease can end. */
  assignmentLeftWaiting(key: string, assignmentId: number): void {
    this.emitter.emit("left-waiting", key, assignmentId);
  }

  onAssignmentLeftWaiting(listener: (key: string, assignmentId: number) => void): () => void {
    this.emitter.on("left-waiting", listener);
    return () => this.emitter.off("left-waiting", listener);
  }

  /** New WAITING assignments were stored: each should reach an instance of its key. */
  assignmentsCreated(deliveries: readonly Delivery[]): void {
    this.emitter.emit("assignments", deliveries);
  }

  onAssignmentsCreated(listener: (deliveries: readonly Delivery[]) => void): () => void {
    this.emitter.on("assignments", listener);
    return () => this.emitter.off("assignments", listener);
  }
}
